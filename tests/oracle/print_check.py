"""What a printed PDF holds, read by pdfminer.six independently of the tool: its page
count, the smallest text size on the pages before the appendix (rotated axis labels
measured across their lines), and the first page of the appendix.

    print_check.py REPORT.pdf  →  {"pages": 3, "appendix_page": 3, "smallest": [[7.8, "word"], …]}
"""
import json
import sys

from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTTextContainer


def chars(element):
    if isinstance(element, LTChar):
        yield element
    elif hasattr(element, "__iter__"):
        for child in element:
            yield from chars(child)


pages = list(extract_pages(sys.argv[1]))
appendix = next(
    (n for n, page in enumerate(pages, 1)
     for box in page if isinstance(box, LTTextContainer) and box.get_text().startswith("Appendix")),
    None,
)
sizes = []
for n, page in enumerate(pages, 1):
    if appendix is not None and n >= appendix:
        break
    for c in chars(page):
        if c.get_text().strip():
            # The em box's extent across the line: its height for upright text, its
            # width for text turned a quarter (an axis label up the side).
            a, b = c.matrix[0], c.matrix[1]
            size = c.width if abs(b) > abs(a) else c.height
            sizes.append((round(size, 2), c.get_text(), n))
sizes.sort()
print(json.dumps({"pages": len(pages), "appendix_page": appendix, "smallest": sizes[:5]}))
