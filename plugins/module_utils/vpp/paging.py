# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Paged reads and the collection's only thread pool.

``walk`` reads every page of one or more queries of a paged endpoint in ONE pool of five: the first
pages, then every page they announce, as they come. A query whose data changed under it (versionId
differs between pages, or a page index fell out of range) is walked again. ``in_parallel`` is the
same pool for other independent requests (event statuses, write requests).
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.http import ApiError, parse_answer
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan

# A walk whose versionId keeps changing is repeated this often before we settle for the last one.
MAX_WALKS = 3
# A server that keeps announcing more pages is not followed forever.
MAX_PAGES = 10000
BAD_PAGE_INDEX = 9650


def in_parallel(function: Callable[[Any], Any], items: Sequence[Any]) -> List[Any]:
    """``function`` over ``items``, at most five at once, results in order; one item needs no pool."""
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=plan.MAX_PARALLEL_REQUESTS) as pool:
        return list(pool.map(function, items))


def read_page(client: Any, path: str, params: Dict[str, str], page_model: type, index: int = 0) -> Any:
    query = dict(params, pageIndex=str(index)) if index else params
    return parse_answer(page_model, client.get(path, query), "Apple's {0} answer".format(path))


class _Walk:
    """The pages of one query read so far, and whether they came from one state of the data."""

    def __init__(self, params: Dict[str, str]):
        self.params = params
        self.pages: Dict[int, List[Any]] = {}
        self.versions: Set[Optional[str]] = set()
        self.scheduled: Set[int] = {0}
        self.shrunk = False

    def add(self, path: str, index: int, page: Any) -> List[int]:
        """Record a page; returns the page indexes it announces that were not scheduled yet."""
        self.pages[index] = page.items
        self.versions.add(page.version_id)
        if self.shrunk:
            return []
        more = set(range(1, page.total_pages))
        if page.next_page_index is not None and page.next_page_index > index:
            more.add(page.next_page_index)
        if more and max(more) >= MAX_PAGES:
            raise ApiError("{0} announces more than {1} pages; refusing to read on".format(path, MAX_PAGES), path=path)
        new = sorted(more - self.scheduled)
        self.scheduled.update(new)
        return new

    @property
    def consistent(self) -> bool:
        return not self.shrunk and len(self.versions - {None}) <= 1

    @property
    def items(self) -> List[Any]:
        return [item for index in sorted(self.pages) for item in self.pages[index]]


def walk(client: Any, path: str, queries: Sequence[Dict[str, str]], page_model: type, first: Any = None) -> List[Any]:
    """Every item of every query, in query then page order. ``first``: page 0 of the only query, already read."""
    return [item for each in _walk(client, path, queries, page_model, first) for item in each.items]


def read_by_ids(client: Any, path: str, filters: Dict[str, str], page_model: type, id_param: str, ids: Sequence[str],
                key: Callable[[Any], str], first_settles: bool = True) -> List[Any]:
    """The records of these ids, the cheapest way: one ``id_param=`` query per id, or the paged walk when its
    pages cost fewer requests. When that is unclear, page 0 of the walk is read to learn the page count; with
    ``first_settles``, an id whose record (``key``) is on page 0 needs no query of its own. Callers filter the answer."""
    queries = [dict(filters, **{id_param: each}) for each in ids]
    if not plan.worth_probing_walk(len(ids)):
        return walk(client, path, queries, page_model)
    first = read_page(client, path, filters, page_model)
    settled = {key(item) for item in first.items} & set(ids) if first_settles else set()
    unsettled = [query for query, each in zip(queries, ids) if each not in settled]
    if plan.prefer_full_walk(first.total_pages - 1, len(unsettled)):
        return walk(client, path, [filters], page_model, first=first)
    return [item for item in first.items if key(item) in settled] + walk(client, path, unsettled, page_model)


def walk_at_version(client: Any, path: str, params: Dict[str, str], page_model: type, first: Any = None) -> Tuple[List[Any], Optional[str]]:
    """Every item of one query, and the one versionId all its pages carried (None when they did not agree)."""
    (done,) = _walk(client, path, [params], page_model, first)
    versions = done.versions - {None}
    return done.items, (versions.pop() if done.consistent and len(versions) == 1 else None)


def _walk(client: Any, path: str, queries: Sequence[Dict[str, str]], page_model: type, first: Any = None) -> List[_Walk]:
    walks = [_Walk(params) for params in queries]
    todo = list(range(len(walks)))
    with ThreadPoolExecutor(max_workers=plan.MAX_PARALLEL_REQUESTS) as pool:
        for attempt in range(1, MAX_WALKS + 1):
            pending: Dict[Any, tuple] = {}

            def schedule(number: int, index: int) -> None:
                pending[pool.submit(read_page, client, path, walks[number].params, page_model, index)] = (number, index)

            for number in todo:
                if attempt == 1 and first is not None and number == 0:
                    for index in walks[number].add(path, 0, first):
                        schedule(number, index)
                else:
                    schedule(number, 0)
            try:
                while pending:
                    for future in wait(pending, return_when=FIRST_COMPLETED).done:
                        number, index = pending.pop(future)
                        try:
                            page = future.result()
                        except ApiError as exc:
                            if exc.error_number != BAD_PAGE_INDEX:
                                raise
                            walks[number].shrunk = True  # the set shrank: this walk ends here, inconsistent
                            continue
                        for more in walks[number].add(path, index, page):
                            schedule(number, more)
            finally:
                for future in pending:
                    future.cancel()
            todo = [number for number in todo if not walks[number].consistent]
            if not todo:
                break
            if attempt < MAX_WALKS:
                for number in todo:
                    walks[number] = _Walk(walks[number].params)
    if todo:
        client.warn("the data at {0} kept changing while it was read ({1} attempts): the result may miss records "
                    "changed meanwhile".format(path, MAX_WALKS))
    return walks
