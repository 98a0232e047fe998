"""Generated run names, "adjective-noun-NNN" like MLflow's (e.g. "clever-owl-417")."""

from __future__ import annotations

import random

_ADJECTIVE_TEXT = (
    "able agile amazing amusing ample auspicious awesome bald beautiful bedecked big bold "
    "brawny bright bustling calm capable carefree caring casual charming chill classy clean "
    "clever colorful crawling dapper debonair delicate dashing defiant delightful enchanting "
    "entertaining enthused exultant fearless flawless fortunate funny gaudy gentle gifted "
    "glamorous grandiose gregarious handsome hilarious honorable illustrious industrious "
    "intelligent inquisitive judicious kindly languid learned legendary likeable loud luminous "
    "luxuriant magnificent marvelous masked melodic merciful mercurial monumental mysterious "
    "nebulous nervous nimble nosy omniscient orderly overjoyed peaceful painted persistent "
    "placid polite popular powerful puzzled rambunctious rare rebellious respected resilient "
    "righteous receptive redolent resilient rogue rumbling salty sassy secretive selective "
    "sedate serious shivering skillful sincere smiling sneaky sophisticated spiffy stately "
    "suave stylish tasteful thoughtful thundering traveling treasured trusting unequaled "
    "upbeat unique unleashed useful valuable vaunted victorious welcoming whimsical wise witty "
    "wistful worried youthful zealous"
)

_NOUN_TEXT = (
    "ant ape asp auk bass bat bear bee bird boar bug calf carp cat chimp cod colt conch cow "
    "crab crane croc crow cub deer doe dog dolphin donkey dove duck eel elk fawn finch fish "
    "flea fly foal fowl fox frog gnat gnu goat goose grouse grub gull hare hawk hen hog horse "
    "hound jay kit kite koi lamb lark loon lynx mare midge mink mole moose moth mouse mule "
    "newt owl ox panda penguin perch pig pug quail ram rat ray robin roo rook seal shad shark "
    "sheep shrew shrike skink skunk sloth slug smelt snail snake snipe sow sponge squid "
    "squirrel stag steed stoat stork swan tern toad trout turtle vole wasp whale wolf worm "
    "wren yak zebra"
)

_ADJECTIVES = tuple(_ADJECTIVE_TEXT.split())
_NOUNS = tuple(_NOUN_TEXT.split())
_rng = random.Random()


def generate_run_name() -> str:
    """A fresh, readable run name such as 'clever-owl-417'."""
    return f"{_rng.choice(_ADJECTIVES)}-{_rng.choice(_NOUNS)}-{_rng.randrange(1000)}"
