"""Tests for dlcourse.similarity: cosine similarities, top-k search, label agreement."""

import pytest
import torch
import torch.nn.functional as F

from dlcourse.similarity import (
    cosine_similarity_matrix,
    label_agreement,
    normalize_rows,
    top_k_similar,
)


def test_normalize_rows_gives_unit_rows_and_keeps_zero_rows_zero():
    x = torch.tensor([[3.0, 4.0], [0.0, 0.0], [-2.0, 0.0]])
    n = normalize_rows(x)
    assert torch.allclose(n, torch.tensor([[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]]))


def test_cosine_similarity_matrix_matches_torch():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(7, 5, generator=g), torch.randn(4, 5, generator=g)
    sims = cosine_similarity_matrix(a, b)
    assert sims.shape == (7, 4)
    expected = F.cosine_similarity(a.unsqueeze(1), b.unsqueeze(0), dim=2)
    assert torch.allclose(sims, expected, atol=1e-6)


def test_cosine_similarity_matrix_of_a_set_with_itself_is_symmetric_with_unit_diagonal():
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(1))
    sims = cosine_similarity_matrix(x)
    assert torch.allclose(sims, sims.T, atol=1e-6)
    assert torch.allclose(sims.diagonal(), torch.ones(6), atol=1e-6)


def test_cosine_similarity_ignores_length():
    x = torch.tensor([[1.0, 2.0]])
    assert cosine_similarity_matrix(x, 10 * x).item() == pytest.approx(1.0)
    assert cosine_similarity_matrix(x, -x).item() == pytest.approx(-1.0)


def test_top_k_similar_finds_the_best_matches_in_order():
    database = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
    queries = torch.tensor([[1.0, 0.1], [0.1, -1.0]])
    sims, idx = top_k_similar(queries, database, k=2)
    assert idx.tolist() == [[0, 2], [0, 3]]
    assert sims[0, 0] > sims[0, 1]
    assert idx.shape == sims.shape == (2, 2)


def test_top_k_similar_agrees_with_the_full_matrix_for_any_chunk_size():
    g = torch.Generator().manual_seed(2)
    queries, database = torch.randn(23, 6, generator=g), torch.randn(40, 6, generator=g)
    full = cosine_similarity_matrix(queries, database).topk(3, dim=1)
    for chunk in (1, 5, 23, 100):
        sims, idx = top_k_similar(queries, database, k=3, chunk_size=chunk)
        assert torch.equal(idx, full.indices)
        assert torch.allclose(sims, full.values)


def test_top_k_similar_can_exclude_each_query_itself_across_chunks():
    x = torch.randn(10, 4, generator=torch.Generator().manual_seed(3))
    _, idx = top_k_similar(x, x, k=1, chunk_size=3)
    assert idx[:, 0].tolist() == list(range(10))  # without exclusion: each finds itself
    _, idx = top_k_similar(x, x, k=9, exclude_self=True, chunk_size=3)
    for i in range(10):
        assert i not in idx[i].tolist()
        assert sorted(idx[i].tolist()) == [j for j in range(10) if j != i]


@pytest.mark.parametrize(
    "queries, database, kwargs, error, match",
    [
        (torch.zeros(3, 2).tolist(), torch.zeros(3, 2), {}, TypeError, "torch.Tensor"),
        (torch.zeros(3, 2, 2), torch.zeros(3, 2), {}, ValueError, r"2-D tensor.*\(3, 2, 2\)"),
        (torch.zeros(0, 2), torch.zeros(3, 2), {}, ValueError, "at least one"),
        (torch.zeros(3, 2, dtype=torch.long), torch.zeros(3, 2), {}, TypeError, "floating-point"),
        (torch.zeros(3, 2), torch.zeros(3, 5), {}, ValueError, "same length, got 2 and 5"),
        (torch.ones(3, 2), torch.ones(4, 2), {"k": 0}, ValueError, "k must be a positive int"),
        (torch.ones(3, 2), torch.ones(4, 2), {"k": 5}, ValueError, "offers only 4"),
        (
            torch.ones(3, 2),
            torch.ones(3, 2),
            {"k": 3, "exclude_self": True},
            ValueError,
            r"offers only 2 \(itself excluded\)",
        ),
        (
            torch.ones(3, 2),
            torch.ones(4, 2),
            {"exclude_self": True, "k": 1},
            ValueError,
            "same length, got 3 and 4",
        ),
        (torch.ones(3, 2), torch.ones(4, 2), {"chunk_size": 0}, ValueError, "chunk_size"),
    ],
)
def test_top_k_similar_rejects_bad_input(queries, database, kwargs, error, match):
    with pytest.raises(error, match=match):
        top_k_similar(queries, database, **kwargs)


def test_cosine_similarity_matrix_rejects_images():
    with pytest.raises(ValueError, match="flatten"):
        cosine_similarity_matrix(torch.zeros(2, 1, 28, 28))


def test_label_agreement_counts_matching_labels():
    idx = torch.tensor([[1, 2], [0, 2], [0, 1]])
    labels = torch.tensor([7, 7, 3])
    assert label_agreement(idx[:, :1], labels, labels) == pytest.approx(2 / 3)
    assert label_agreement(idx, labels, labels) == pytest.approx(2 / 6)


@pytest.mark.parametrize(
    "idx, q, db, match",
    [
        (
            torch.tensor([0, 1]),
            torch.tensor([1, 2]),
            torch.tensor([1, 2]),
            "shape \\(queries, k\\)",
        ),
        (torch.tensor([[0.0]]), torch.tensor([1]), torch.tensor([1]), "integer tensor"),
        (torch.zeros(0, 1, dtype=torch.long), torch.zeros(0), torch.tensor([1]), "no matches"),
        (torch.tensor([[0], [1]]), torch.tensor([1]), torch.tensor([1, 2]), "one label per query"),
        (
            torch.tensor([[0]]),
            torch.tensor([1]),
            torch.tensor([[1]]),
            "database_labels must be 1-D",
        ),
        (torch.tensor([[2]]), torch.tensor([1]), torch.tensor([1, 2]), r"\[0, 2\)"),
    ],
)
def test_label_agreement_rejects_bad_input(idx, q, db, match):
    with pytest.raises(ValueError, match=match):
        label_agreement(idx, q, db)
