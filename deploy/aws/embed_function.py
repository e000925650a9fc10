"""Paste deploy/aws/cdn-function.js into cdn.yaml as the CloudFront Function's code.

CloudFormation wants a function's code inline (FunctionCode), while the code
is kept, read and tested as its own .js file. Run this (`make cdn-template`)
after editing the .js; tests/test_cdn_template.py fails while the two differ.

Usage: python3 deploy/aws/embed_function.py [--check]
  --check   change nothing; exit 1 if cdn.yaml does not hold the current code
"""
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "cdn.yaml"
FUNCTION = HERE / "cdn-function.js"
INDENT = " " * 8
# "FunctionCode: |" and every line after it that is blank or indented deeper.
BLOCK = re.compile(r"^(      FunctionCode: \|\n)((?:(?:        .*)?\n)*)", re.M)


def embedded(template_text, code):
    """``template_text`` with its FunctionCode block replaced by ``code``."""
    found = BLOCK.findall(template_text)
    if len(found) != 1:
        raise SystemExit(f"{TEMPLATE}: expected one 'FunctionCode: |' block, found {len(found)}")
    if "\t" in code or not code.endswith("\n"):
        raise SystemExit(f"{FUNCTION}: must use spaces, not tabs, and end with a newline")
    body = "".join(INDENT + line if line.strip() else "\n"
                   for line in code.splitlines(keepends=True))
    # A blank line after the code: YAML drops it ("clip"), readers see a gap.
    return BLOCK.sub(lambda match: match.group(1) + body + "\n", template_text)


def main(argv):
    current = TEMPLATE.read_text(encoding="utf-8")
    wanted = embedded(current, FUNCTION.read_text(encoding="utf-8"))
    if "--check" in argv:
        if wanted != current:
            print(f"{TEMPLATE} is out of date: run make cdn-template", file=sys.stderr)
            return 1
        return 0
    if wanted != current:
        TEMPLATE.write_text(wanted, encoding="utf-8")
        print(f"updated {TEMPLATE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
