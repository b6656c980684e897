"""Second implementations of the three APIs, written from the vendor documents alone (`docs/vendor/`), for
the contract-verdict tests.

Each follows its document wherever the document speaks and makes other reasonable choices where it is
silent, so that it differs from journeymock only in what journeymock had to infer: other error wording for
an unparseable body, other null/empty choices, undocumented extra properties and an extra header. None of
them imports `mockserver`: they are what a vendor that keeps its documentation might run.
"""

from __future__ import annotations
