import dataclasses

import pytest

from restyle.cli import build_parser
from restyle.cli.arguments import flag, flags_for_options, settings_from
from restyle.core.settings import HostSettings
from restyle.feedforward.options import TrainOptions
from restyle.optimize.options import Options

NAMES = {f.name for f in dataclasses.fields(Options)} | {f.name for f in dataclasses.fields(TrainOptions)}


def _parse(*argv):
    return build_parser().parse_args(list(argv))


def test_every_option_has_its_flag_and_the_parsed_defaults_are_the_dataclass_defaults():
    args = _parse("stylize", "c.jpg", "-s", "s.jpg", "-o", "o.png")
    assert settings_from(args, Options) == Options()
    help_text = build_parser()._subparsers._group_actions[0].choices["stylize"].format_help()
    host = {f.name for f in dataclasses.fields(HostSettings)}  # the command line, owning its process, sets them on
    assert all(flag(f.name) in help_text for f in dataclasses.fields(Options) if f.name not in host)


def test_train_flags_come_from_train_options():
    args = _parse("train", "s.jpg", "--photos", "p", "-o", "m.safetensors")
    assert settings_from(args, TrainOptions) == TrainOptions()
    args = _parse("train", "s.jpg", "--photos", "p", "-o", "m.safetensors", "--batch", "3", "--style-layers",
                  "relu1_1:2,relu2_1")
    options = settings_from(args, TrainOptions)
    assert options.batch_size == 3 and options.style_layers == {"relu1_1": 2.0, "relu2_1": 1.0}


def test_words_and_texts_are_converted():
    args = _parse("stylize", "c.jpg", "-s", "a.jpg", "-s", "b.jpg", "-o", "o.png", "--multiscale", "off",
                  "--preserve-color", "luminance", "--style-blend", "0.7,0.3", "--max-memory", "2.5")
    options = settings_from(args, Options)
    assert (options.multiscale, options.preserve_color, options.style_blend) == (False, "luminance", [0.7, 0.3])
    assert options.max_memory == 2.5


@pytest.mark.parametrize("message, expected", [
    ("size must be a positive whole number, got 0", "--size must be a positive whole number, got 0"),
    ("needs more than the budget; raise max_memory or lower size", "needs more than the budget; raise --max-memory "
                                                                    "or lower --size"),
    ("try precision fp32 or smaller weights", "try --precision fp32 or smaller weights"),
    ("score size must be >= 32", "score size must be >= 32"),  # a word, not the option
    ("batch_size must be positive", "--batch must be positive"),  # the alias
    ("photos/style_weight.png: no such file", "photos/style_weight.png: no such file"),  # a path, not the option
])
def test_library_messages_name_flags_on_the_command_line(message, expected):
    assert flags_for_options(message, NAMES) == expected
