"""Tests for dlcourse.training: fit, evaluate, predict and accuracy."""

import pytest
import torch
from torch import nn

from dlcourse.data import bytes_to_float
from dlcourse.training import History, accuracy, evaluate, fit, predict


def blobs(n=200, seed=0):
    """Two well separated Gaussian blobs in 2-D, labels 0 and 1."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 2, generator=g) + 3.0 * (2 * y.unsqueeze(1) - 1)
    return x, y


def test_fit_learns_a_separable_problem_and_records_history(capsys):
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    train, val = blobs(seed=0), blobs(seed=1)
    history = fit(
        model,
        train,
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        epochs=3,
        batch_size=32,
        val=val,
        device="cpu",
    )
    assert history.epochs == 3
    assert len(history.val_loss) == len(history.val_accuracy) == len(history.train_accuracy) == 3
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.val_accuracy[-1] > 0.95
    assert history.seconds > 0
    assert capsys.readouterr().out.count("epoch ") == 3


def test_fit_regression_has_no_accuracy_and_is_reproducible():
    x = torch.linspace(-1, 1, 64).unsqueeze(1)
    y = 3 * x + 1

    def run():
        torch.manual_seed(0)
        model = nn.Linear(1, 1)
        h = fit(
            model,
            (x, y),
            loss_fn=nn.MSELoss(),
            epochs=20,
            batch_size=16,
            device="cpu",
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            verbose=False,
        )
        return model, h

    (m1, h1), (_, h2) = run(), run()
    assert h1.train_loss == h2.train_loss, "same seed, same numbers"
    assert h1.train_accuracy == [] and h1.val_loss == []
    assert h1.train_loss[-1] < 1e-3
    assert m1.weight.item() == pytest.approx(3.0, abs=0.05)


def test_history_extend():
    a = History(train_loss=[1.0], seconds=1.0)
    a.extend(History(train_loss=[0.5], seconds=2.0))
    assert a.train_loss == [1.0, 0.5] and a.seconds == 3.0 and a.epochs == 2


@pytest.mark.parametrize(
    "train, kwargs, error, match",
    [
        ([torch.zeros(3, 2)], {}, TypeError, "pair of tensors"),
        ((torch.zeros(3, 2), torch.zeros(4)), {}, ValueError, "same length"),
        ((torch.zeros(0, 2), torch.zeros(0)), {}, ValueError, "empty"),
        (
            (torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)),
            {"epochs": 0},
            ValueError,
            "epochs",
        ),
        (
            (torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)),
            {"batch_size": 0},
            ValueError,
            "batch_size",
        ),
    ],
)
def test_fit_rejects_bad_input(train, kwargs, error, match):
    model = nn.Linear(2, 2)
    with pytest.raises(error, match=match):
        fit(
            model,
            train,
            loss_fn=nn.CrossEntropyLoss(),
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            **kwargs,
        )


@pytest.mark.parametrize(
    "outputs, y, loss_fn, match",
    [
        # 3 numbers out, single values as targets
        (
            3,
            torch.zeros(8),
            nn.MSELoss(),
            r"outputs have shape \(8, 3\).*targets have shape \(8,\)",
        ),
        # outputs (N, 1), targets (N,): would broadcast to (N, N) without a word
        (1, torch.zeros(8), nn.MSELoss(), "y.unsqueeze"),
        # 3 classes, but a label says 7
        (
            3,
            torch.tensor([0, 1, 2, 7]),
            nn.CrossEntropyLoss(),
            r"could not compare the model's outputs of shape \(4, 3\)",
        ),
    ],
)
def test_fit_explains_outputs_the_loss_cannot_use(outputs, y, loss_fn, match):
    model = nn.Linear(2, outputs)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=match):
        fit(
            model,
            (torch.zeros(len(y), 2), y),
            loss_fn=loss_fn,
            optimizer=optimizer,
            device="cpu",
            verbose=False,
        )


def test_accuracy():
    outputs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert accuracy(outputs, torch.tensor([0, 1, 1, 1])) == 0.75
    with pytest.raises(ValueError, match=r"\(N, classes\)"):
        accuracy(torch.zeros(4), torch.zeros(4))
    with pytest.raises(ValueError, match="labels of shape"):
        accuracy(outputs, torch.zeros(3, dtype=torch.long))


def test_evaluate_and_predict_restore_training_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    x, y = blobs(n=10)
    model.train()
    out = predict(model, x, batch_size=3)
    assert out.shape == (10, 2) and model.training
    assert torch.equal(out, predict(model, x)), "dropout is off in evaluation mode"
    scores = evaluate(model, (x, y), nn.CrossEntropyLoss())
    assert set(scores) == {"loss", "accuracy"} and model.training
    assert set(evaluate(model, (x, y))) == {"accuracy"}


def test_fit_steps_a_scheduler_once_per_batch():
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    fit(
        model,
        blobs(n=100),
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=optimizer,
        scheduler=scheduler,
        epochs=2,
        batch_size=25,
        device="cpu",
        verbose=False,
    )
    assert scheduler.last_epoch == 8  # 2 epochs x 4 batches
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**8)


def test_fit_rejects_a_scheduler_of_another_optimizer():
    model = nn.Linear(2, 2)
    other = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler must be a learning-rate scheduler"):
        fit(
            model,
            blobs(),
            loss_fn=nn.CrossEntropyLoss(),
            device="cpu",
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            scheduler=torch.optim.lr_scheduler.StepLR(other, step_size=1),
        )


# ---- inputs kept as bytes ---------------------------------------------------------------


def _byte_images(n=64, seed=0):
    """Tiny 'images' as uint8 bytes whose class is whether the left half is darker."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n, 1, 4, 4), generator=g, dtype=torch.uint8)
    y = x[:, :, :, :2].float().mean(dim=(1, 2, 3)) > x[:, :, :, 2:].float().mean(dim=(1, 2, 3))
    return x, y.long()


def test_bytes_with_transform_train_like_the_same_floats():
    x, y = _byte_images()
    histories = []
    for inputs, transform in [(x, bytes_to_float), (x.float() / 255, None)]:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        h = fit(
            model,
            (inputs, y),
            loss_fn=nn.CrossEntropyLoss(),
            optimizer=opt,
            epochs=3,
            batch_size=16,
            val=(inputs, y),
            transform=transform,
            progress=False,
            verbose=False,
        )
        histories.append(
            (
                h,
                predict(model, inputs, transform=transform),
                evaluate(model, (inputs, y), transform=transform),
            )
        )
    (h_bytes, p_bytes, e_bytes), (h_float, p_float, e_float) = histories
    assert h_bytes.train_loss == pytest.approx(h_float.train_loss)
    assert h_bytes.val_accuracy == pytest.approx(h_float.val_accuracy)
    assert torch.allclose(p_bytes, p_float) and e_bytes == pytest.approx(e_float)


def test_bytes_without_transform_get_a_clear_error():
    x, y = _byte_images()
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="transform=dlcourse.bytes_to_float"):
        fit(model, (x, y), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, progress=False)
    with pytest.raises(TypeError, match="uint8 bytes"):
        predict(model, x)
    with pytest.raises(TypeError, match="uint8 bytes"):
        evaluate(model, (x, y))


def test_transform_is_applied_to_every_batch_on_the_way_in():
    seen = []

    def spy(batch):
        seen.append(len(batch))
        return batch * 0  # the model sees only zeros

    model = nn.Linear(3, 1, bias=False)
    out = predict(model, torch.ones(5, 3), batch_size=2, transform=spy)
    assert seen == [2, 2, 1] and torch.equal(out, torch.zeros(5, 1))
