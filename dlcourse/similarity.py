"""Similarity search: cosine similarities between vectors and their best matches.

The autoencoder chapter builds these by hand first: normalise every vector to
length one, then one matrix product gives all cosine similarities at once.
The full ``(N, N)`` matrix needs ``4 N^2`` bytes in float32, so
:func:`top_k_similar` goes through the queries in chunks and keeps only the
best ``k`` matches of each.
"""

from __future__ import annotations

import torch


def _check_vectors(x: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, D), got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D tensor of shape (N, D), one vector per row, "
            f"got shape {tuple(x.shape)}; flatten images with x.flatten(1)"
        )
    if len(x) == 0 or x.shape[1] == 0:
        raise ValueError(
            f"{name} must hold at least one non-empty vector, got shape {tuple(x.shape)}"
        )
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
    return x


def _check_pair(queries: torch.Tensor, database: torch.Tensor) -> None:
    _check_vectors(queries, "queries")
    _check_vectors(database, "database")
    if queries.shape[1] != database.shape[1]:
        raise ValueError(
            f"queries and database must have vectors of the same length, got "
            f"{queries.shape[1]} and {database.shape[1]}"
        )


def normalize_rows(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Each row of ``x`` divided by its length, so every row has length one.

    Rows of length zero (an all-zero vector) stay zero instead of becoming NaN.
    """
    _check_vectors(x, "x")
    return x / x.norm(dim=1, keepdim=True).clamp_min(eps)


def cosine_similarity_matrix(
    queries: torch.Tensor, database: torch.Tensor | None = None
) -> torch.Tensor:
    """All cosine similarities between the rows of ``queries`` and of ``database``.

    Entry ``[i, j]`` is ``cos(angle between queries[i] and database[j])``, a
    number in ``[-1, 1]``. Without ``database``, the rows of ``queries`` are
    compared with each other (a symmetric matrix with ones on the diagonal).
    The result has shape ``(len(queries), len(database))``: mind its memory.
    """
    if database is None:
        database = queries
    _check_pair(queries, database)
    return normalize_rows(queries) @ normalize_rows(database).T


def top_k_similar(
    queries: torch.Tensor,
    database: torch.Tensor,
    k: int = 5,
    *,
    exclude_self: bool = False,
    chunk_size: int = 256,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` rows of ``database`` most cosine-similar to each row of ``queries``.

    Works through ``chunk_size`` queries at a time, so memory grows like
    ``chunk_size * len(database)`` rather than ``len(queries) * len(database)``.

    ``exclude_self=True`` is for searching a set against itself (``queries``
    and ``database`` are the same vectors in the same order): query ``i`` then
    never matches database row ``i``.

    Returns ``(similarities, indices)``, both of shape ``(len(queries), k)``,
    best match first.
    """
    _check_pair(queries, database)
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
    if exclude_self and len(queries) != len(database):
        raise ValueError(
            f"exclude_self=True compares a set with itself, so queries and database "
            f"must have the same length, got {len(queries)} and {len(database)}"
        )
    available = len(database) - (1 if exclude_self else 0)
    if k > available:
        raise ValueError(
            f"k={k} matches were asked for, but the database offers only {available}"
            + (" (itself excluded)" if exclude_self else "")
        )
    db = normalize_rows(database)
    values, indices = [], []
    for start in range(0, len(queries), chunk_size):
        sims = normalize_rows(queries[start : start + chunk_size]) @ db.T
        if exclude_self:
            rows = torch.arange(len(sims), device=sims.device)
            sims[rows, rows + start] = -float("inf")
        top = sims.topk(k, dim=1)
        values.append(top.values)
        indices.append(top.indices)
    return torch.cat(values), torch.cat(indices)


def label_agreement(
    indices: torch.Tensor, query_labels: torch.Tensor, database_labels: torch.Tensor
) -> float:
    """The fraction of matches that carry the same label as their query.

    ``indices`` has shape ``(Q, k)``, as returned by :func:`top_k_similar`;
    pass ``indices[:, :1]`` to score only the best match of each query.
    """
    if not isinstance(indices, torch.Tensor) or indices.ndim != 2 or indices.is_floating_point():
        raise ValueError(
            "indices must be an integer tensor of shape (queries, k), as returned by top_k_similar"
        )
    if indices.numel() == 0:
        raise ValueError(f"indices holds no matches (shape {tuple(indices.shape)})")
    if query_labels.shape != (len(indices),):
        raise ValueError(
            f"query_labels must have shape ({len(indices)},), one label per query, "
            f"got {tuple(query_labels.shape)}"
        )
    if database_labels.ndim != 1:
        raise ValueError(f"database_labels must be 1-D, got shape {tuple(database_labels.shape)}")
    if indices.min() < 0 or indices.max() >= len(database_labels):
        raise ValueError(
            f"indices must lie in [0, {len(database_labels)}), the rows of the "
            f"database; got values from {indices.min().item()} to "
            f"{indices.max().item()}"
        )
    matched = database_labels.to(indices.device)[indices]
    return (matched == query_labels.to(indices.device).unsqueeze(1)).float().mean().item()
