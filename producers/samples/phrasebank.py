# ruff: noqa: E501
# (the phrase banks below are data tables; one attribute per line reads best)
"""Phrase-bank generator of (product attributes -> clean description) pairs.

The pairs train descflow's small "house" generator. Each pair is built from a
product that this module invents (category, brand, series, attributes) and a
description that states only what the product record says: its title, brand,
category, audiences and attribute values. Nothing else is claimed, there are
no superlatives, and every value is written exactly as it appears in the
attributes so that a model learns to copy facts rather than invent them.

Variety comes from per-category attribute generators (ranges, units, colours,
materials), several sentence templates per attribute, openers and closers per
audience, random attribute order and random grouping of facts into sentences.

The product is called only by its type as the role inventory reads it from
the record (workers/text/roles.py), which is what the house model's [type]
slot holds: a model trained on these texts never learns a product noun to
write about another product. ``generate_pairs`` is deterministic for a given
``(n, seed, locales)``.

Usage::

    python -m producers.samples.phrasebank --n 3000 --seed 0 > pairs.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from schemas.events import Product
from workers.gpu import slots
from workers.text.roles import has_cjk, inventory

__all__ = ["generate_pairs", "CATEGORIES", "LOCALES", "main"]

LOCALES = ("en-US", "zh-CN")

Value = Any  # str | int | float | list[str]
Gen = Callable[[random.Random], Value]


# --------------------------------------------------------------------------
# Value generators
# --------------------------------------------------------------------------


def _pick(*options: Value) -> Gen:
    return lambda r: r.choice(options)


def _num(lo: float, hi: float, step: float, *formats: str) -> Gen:
    """A number in [lo, hi] on a grid of ``step``, written with one of ``formats``."""
    count = int(round((hi - lo) / step)) + 1
    decimals = 0 if float(step).is_integer() and float(lo).is_integer() else 1

    def gen(r: random.Random) -> str:
        n = lo + step * r.randrange(count)
        text = f"{n:.{decimals}f}"
        return r.choice(formats).format(text)

    return gen


def _int(lo: int, hi: int, step: int = 1) -> Gen:
    return lambda r: lo + step * r.randrange((hi - lo) // step + 1)


def _some(pool: Sequence[str], lo: int, hi: int) -> Gen:
    return lambda r: r.sample(list(pool), r.randint(lo, hi))


def _run(pool: Sequence[str], lo: int, hi: int) -> Gen:
    """A consecutive run from an ordered pool (sizes)."""

    def gen(r: random.Random) -> list[str]:
        length = r.randint(lo, hi)
        start = r.randrange(len(pool) - length + 1)
        return list(pool[start : start + length])

    return gen


def _dims(ranges: Sequence[tuple[int, int]], *formats: str) -> Gen:
    def gen(r: random.Random) -> str:
        parts = [str(r.randint(a, b)) for a, b in ranges]
        return r.choice(formats).format(*parts)

    return gen


def _colour(pool: Sequence[str]) -> Gen:
    def gen(r: random.Random) -> Value:
        if r.random() < 0.3:
            return r.sample(list(pool), r.randint(2, 3))
        return r.choice(pool)

    return gen


def _ports(r: random.Random, usb_c: str, usb_a: str, lightning: str) -> list[str]:
    ports = [usb_c.format(r.randint(1, 2))]
    if r.random() < 0.7:
        ports.append(usb_a.format(r.randint(1, 2)))
    if r.random() < 0.15:
        ports.append(lightning)
    return ports


def _counted(lo: int, hi: int, one: str, many: str) -> Gen:
    def gen(r: random.Random) -> str:
        n = r.randint(lo, hi)
        return (one if n == 1 else many).format(n)

    return gen


# --------------------------------------------------------------------------
# Specs
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Attr:
    keys: tuple[str, ...]  # alternative attribute names; one is chosen per product
    gen: Gen
    preds: tuple[str, ...]  # predicates: "weighs {v}" / "重{v}"
    sents: tuple[str, ...] = ()  # standalone sentences: "Weight: {v}."
    prob: float = 0.9  # chance that a product has this attribute


@dataclass(frozen=True)
class Category:
    slug: str
    titles: tuple[str, ...]  # title nouns
    nouns: tuple[str, ...]  # subject nouns ("headset", "耳机")
    kinds: tuple[str, ...]  # category phrases ("pair of wireless headphones")
    price: tuple[float, float]
    attrs: tuple[Attr, ...] = field(default_factory=tuple)


def A(keys: str | tuple[str, ...], gen: Gen, preds: Sequence[str], sents: Sequence[str] = (), prob: float = 0.9) -> Attr:
    if isinstance(keys, str):
        keys = (keys,)
    return Attr(tuple(keys), gen, tuple(preds), tuple(sents), prob)


# ---- English ---------------------------------------------------------------

EN_COLOURS = (
    "black", "white", "navy", "sage green", "sand", "charcoal grey", "forest green", "burgundy",
    "sky blue", "coral", "ivory", "olive", "mustard yellow", "slate blue", "blush pink", "lavender",
    "graphite", "silver", "midnight blue", "terracotta", "cream", "stone grey", "teal", "rust orange",
    "mint", "space grey", "pearl white", "mocha", "jet black", "dusty rose", "ocean blue", "khaki",
    "plum", "oat beige", "pine green", "light grey", "cherry red", "lemon yellow", "denim blue", "taupe",
)


EN_COLOUR_MIXES = {
    "sage": "green grey", "ocean": "blue green", "forest": "green", "desert": "beige brown",
    "midnight": "blue black purple", "arctic": "white blue", "dusty": "pink blue purple",
    "pale": "pink blue green grey yellow", "deep": "blue green purple red", "storm": "grey blue", "moss": "green",
    "slate": "grey blue", "ash": "grey pink", "burnt": "orange red", "ink": "blue black", "smoke": "grey",
    "frost": "white blue", "harbour": "blue grey", "pebble": "grey beige", "clay": "red brown pink",
    "berry": "red pink purple", "sunset": "orange red pink",
}
EN_COLOUR_POOL = tuple(dict.fromkeys(
    EN_COLOURS + tuple(f"{m} {b}" for m, bases in EN_COLOUR_MIXES.items() for b in bases.split())
))


def en_colour(prob: float = 0.9) -> Attr:
    return A(
        ("colour", "color", "colours"),
        _colour(EN_COLOUR_POOL),
        ("comes in {v}", "is available in {v}", "is offered in {v}", "is sold in {v}", "ships in {v}",
         "can be ordered in {v}"),
        ("It is available in {v}.", "Colour options: {v}.", "You can choose {v}.", "[Colour|Color|Finish]: {v}.",
         "The {n} comes in {v}."),
        prob,
    )


def en_weight(gen: Gen, prob: float = 0.85, extra: Sequence[str] = ()) -> Attr:
    return A(
        ("weight", "net weight", "item weight"),
        gen,
        ("weighs {v}", "has a weight of {v}", "comes in at {v}", *extra),
        ("Weight: {v}.", "The {n} weighs {v}.", "Its weight is listed as {v}."),
        prob,
    )


def en_dims(keys: str | tuple[str, ...], gen: Gen, prob: float = 0.7) -> Attr:
    return A(
        keys,
        gen,
        ("measures {v}", "has dimensions of {v}", "comes to {v} in size"),
        ("It measures {v}.", "Dimensions: {v}.", "The {n} measures {v}."),
        prob,
    )


EN_SIZES_EU = tuple(str(s) for s in range(35, 48))
EN_SIZES_LETTER = ("XS", "S", "M", "L", "XL", "XXL")

EN_CATEGORIES: dict[str, Category] = {}


def _en(cat: Category) -> None:
    EN_CATEGORIES[cat.slug] = cat


_en(Category(
    "headphones",
    ("Wireless Headphones", "Bluetooth Headphones", "Headphones", "Wireless Headset"),
    ("headset", "headphone set"),
    ("pair of wireless headphones", "Bluetooth headset", "set of headphones"),
    (29, 349),
    (
        A(("style", "wearing style"), _pick("over-ear", "on-ear"),
          ("uses {av} design", "is {av} model", "has {av} fit"),
          ("Wearing style: {v}.", "This is {av} design.", "The {n} is worn {v}.")),
        A("driver size", _num(30, 50, 2, "{} mm", "{}mm"),
          ("uses {v} drivers", "is fitted with {v} drivers", "carries a pair of {v} drivers"),
          ("Driver size: {v}.", "Sound comes from {v} drivers.", "Each side holds a {v} driver.")),
        A("battery life", _num(20, 70, 5, "{} h", "{} hours", "{}h"),
          ("offers {v} of playback", "runs for up to {v} on a charge", "has a rated battery life of {v}",
           "lasts {v} per full charge"),
          ("Battery life is rated at {v}.", "One full charge gives up to {v} of listening.",
           "Playback time: {v}.")),
        A(("connectivity", "bluetooth"), _pick("Bluetooth 5.0", "Bluetooth 5.2", "Bluetooth 5.3", "Bluetooth 5.4"),
          ("connects over {v}", "pairs via {v}", "supports {v}"),
          ("Connection is via {v}.", "Wireless connection: {v}.", "It pairs with devices over {v}.")),
        A("noise cancelling", _pick("active", "hybrid active", "passive"),
          ("features {v} noise cancelling", "uses {v} noise cancelling", "comes with {v} noise cancelling"),
          ("Noise cancelling type: {v}.", "Noise cancelling on this model is {v}.",
           "The {n} uses {v} noise cancelling."), 0.7),
        A("charging port", _pick("USB-C", "micro-USB"),
          ("charges via {v}", "has {av} charging port", "tops up through {av} port"),
          ("Charging is through {v}.", "Charging port: {v}.", "It recharges over {v}.")),
        en_weight(_num(160, 340, 1, "{} g", "{}g")),
        en_colour(),
        A("features", _some(("multipoint pairing", "a transparency mode", "a foldable frame", "a built-in microphone",
                             "touch controls", "a 3.5 mm audio jack", "an app equaliser", "a low-latency mode"), 2, 3),
          ("includes {v}", "adds {v}", "also offers {v}"),
          ("Features include {v}.", "Other features: {v}.", "It also has {v}."), 0.6),
    ),
))

_en(Category(
    "power_banks",
    ("Power Bank", "Portable Charger", "Power Bank Charger", "Battery Pack"),
    ("power bank", "charger", "battery pack"),
    ("portable power bank", "portable charger", "battery pack"),
    (15, 129),
    (
        A("capacity", lambda r: r.choice(("{}mAh", "{} mAh")).format(r.choice((5000, 10000, 12000, 15000, 20000, 24000, 26800, 30000))),
          ("holds {v}", "has a capacity of {v}", "packs {v} of capacity", "stores {v}"),
          ("Capacity: {v}.", "The battery capacity is {v}.", "Inside is a {v} battery."), 1.0),
        A(("max output", "maximum output"), lambda r: r.choice(("{} W", "{}W")).format(r.choice((12, 15, 18, 20, 22.5, 30, 45, 65, 100, 140))),
          ("delivers up to {v}", "supports output of up to {v}", "has a maximum output of {v}"),
          ("Maximum output is {v}.", "Max output: {v}.", "Output tops out at {v}.")),
        A("ports", lambda r: _ports(r, "{} x USB-C", "{} x USB-A", "1 x Lightning"),
          ("has {v}", "offers {v}", "is equipped with {v}"),
          ("Ports: {v}.", "Port layout: {v}.", "On the side you will find {v}.")),
        A(("input", "charging input"), _pick("USB-C 18 W", "USB-C 20 W", "USB-C 30 W", "micro-USB 10 W", "USB-C 45 W"),
          ("recharges through {v} input", "takes {v} input", "charges itself via {v}"),
          ("Input: {v}.", "Recharging input is {v}.", "The {n} refills over {v}.")),
        A(("battery type", "cell type"), _pick("lithium-polymer", "lithium-ion"),
          ("uses {v} cells", "is built around {v} cells", "runs on {v} cells"),
          ("Cell type: {v}.", "The cells are {v}.", "It uses {v} cells inside."), 0.7),
        en_weight(_num(120, 620, 1, "{} g", "{}g")),
        en_dims("dimensions", _dims(((90, 160), (60, 80), (12, 30)), "{} x {} x {} mm", "{}x{}x{} mm")),
        en_colour(),
        A(("display", "charge indicator"), _pick("LED indicators", "a digital percentage display", "a four-dot LED indicator"),
          ("shows remaining charge with {v}", "has {v}", "includes {v}"),
          ("Charge display: {v}.", "Remaining power is shown by {v}.", "It has {v} on the front."), 0.6),
    ),
))

_en(Category(
    "laptop_sleeves",
    ("Laptop Sleeve", "Laptop Case", "Notebook Sleeve", "Laptop Sleeve Bag"),
    ("sleeve", "case", "laptop sleeve"),
    ("laptop sleeve", "padded laptop case", "notebook sleeve"),
    (12, 69),
    (
        A(("fits screen", "laptop size"), _pick("11.6 inch", "13 inch", "13.3 inch", "14 inch", "15.6 inch", "16 inch", "13.3\"", "14\""),
          ("fits laptops with screens up to {v}", "is sized for {v} laptops", "takes laptops up to {v}"),
          ("It fits screens up to {v}.", "Laptop size: up to {v}.", "Choose it for {v} laptops."), 1.0),
        A(("outer material", "material"), _pick("polyester", "nylon", "felt", "neoprene", "recycled polyester", "canvas", "PU leather"),
          ("has {av} outer", "is made with {av} shell", "uses {v} on the outside"),
          ("Outer material: {v}.", "The outside is {v}.", "Its shell is {v}.")),
        A("lining", _pick("faux fur", "microfibre", "fleece", "plush", "flannel"),
          ("is lined with {v}", "has {av} lining", "uses {v} inside"),
          ("The lining is {v}.", "Lining: {v}.", "Inside, the lining is {v}.")),
        A("pockets", _pick("1 zip pocket", "2 front pockets", "1 front pocket", "2 zip pockets", "1 front pocket and 1 back pocket"),
          ("has {v}", "includes {v}", "comes with {v}"),
          ("Pockets: {v}.", "Storage consists of {v}.", "Extra storage: {v}."), 0.8),
        A("closure", _pick("zip", "magnetic flap", "double zip", "velcro flap", "snap button"),
          ("closes with {av}", "uses {av} closure", "has {av} closure"),
          ("Closure: {v}.", "It closes with {av}.", "The opening uses {av}."), 0.8),
        en_dims(("inner dimensions", "dimensions"), _dims(((28, 40), (20, 28), (2, 4)), "{} x {} x {} cm", "{}x{}x{} cm")),
        en_weight(_num(150, 480, 10, "{} g", "{}g")),
        en_colour(),
        A(("water resistance", "finish"), _pick("water-repellent coating", "splash-resistant finish"),
          ("has {av}", "comes with {av}", "is treated with {av}"),
          ("The outer has {av}.", "Finish: {v}.", "It carries {av}."), 0.4),
    ),
))

_en(Category(
    "running_shoes",
    ("Running Shoes", "Road Running Shoes", "Trainers", "Running Trainers"),
    ("shoe", "trainer", "running shoe"),
    ("running shoe", "pair of running shoes", "running trainer"),
    (39, 189),
    (
        A("upper", _pick("engineered mesh", "knit", "recycled mesh", "synthetic mesh", "jacquard mesh"),
          ("has {av} upper", "uses an upper made of {v}", "is built with {av} upper"),
          ("Upper: {v}.", "The upper is {v}.", "Its upper uses {v}.")),
        A("midsole", _pick("EVA foam", "TPU foam", "nitrogen-infused foam", "supercritical foam", "EVA and rubber"),
          ("sits on {av} midsole", "uses {av} midsole", "has {av} midsole"),
          ("Midsole: {v}.", "The midsole is {v}.", "Underfoot there is {av} midsole.")),
        A("outsole", _pick("rubber", "carbon rubber", "blown rubber", "gum rubber"),
          ("has {av} outsole", "finishes with {av} outsole", "uses {v} for the outsole"),
          ("Outsole: {v}.", "The outsole is {v}.", "Below the midsole is {av} outsole.")),
        A(("heel-to-toe drop", "drop"), _num(4, 12, 2, "{} mm", "{}mm"),
          ("has {av} heel-to-toe drop", "uses {av} drop", "is built on {av} drop"),
          ("Drop: {v}.", "The heel-to-toe drop is {v}.", "It has {av} drop from heel to toe.")),
        en_weight(_num(180, 320, 1, "{} g", "{}g"), extra=("weighs {v} per shoe",)),
        A(("sizes", "sizes (EU)", "EU sizes"), _run(EN_SIZES_EU, 4, 8),
          ("comes in sizes {v}", "is available in sizes {v}", "is stocked in sizes {v}"),
          ("Sizes: {v}.", "Available sizes are {v}.", "You can order sizes {v}.")),
        A(("terrain", "surface"), _pick("road", "trail", "track", "treadmill and road"),
          ("is made for {v} running", "is listed for {v} running", "targets {v} running"),
          ("Terrain: {v}.", "It is listed for {v} running.", "Intended surface: {v}.")),
        en_colour(),
    ),
))

_en(Category(
    "dresses",
    ("Dress", "Midi Dress", "Summer Dress", "Casual Dress"),
    ("dress",),
    ("dress", "casual dress", "women's dress"),
    (19, 149),
    (
        A(("fabric", "material"), _pick("95% cotton, 5% elastane", "linen", "viscose", "polyester chiffon", "cotton poplin",
                                         "satin", "knit jersey", "linen blend", "modal", "Tencel lyocell"),
          ("is made of {v}", "is cut from {v}", "uses {v} fabric"),
          ("Fabric: {v}.", "The fabric is {v}.", "It is sewn from {v}."), 1.0),
        A("length", _pick("mini", "knee-length", "midi", "maxi"),
          ("has {av} length", "is {av} style", "falls to {av} length"),
          ("Length: {v}.", "This is {av} dress.", "The hem sits at {av} length.")),
        A(("sleeves", "sleeve style"), _pick("sleeveless", "short-sleeved", "long-sleeved", "puff-sleeved", "three-quarter-sleeved"),
          ("is {v}", "has {av} cut", "comes {v}"),
          ("Sleeves: {v}.", "Sleeve style: {v}.", "The dress is {v}.")),
        A("neckline", _pick("V-neck", "round neck", "square neck", "boat neck", "halter neck", "wrap neckline"),
          ("has {av}", "features {av}", "is cut with {av}"),
          ("Neckline: {v}.", "The neckline is {av}.", "At the top there is {av}.")),
        A("pattern", _pick("floral print", "polka-dot print", "gingham check", "striped pattern", "solid colour", "leaf print"),
          ("is finished with {av}", "shows {av}", "features {av}"),
          ("Pattern: {v}.", "The pattern is {av}.", "It comes with {av}.")),
        A("sizes", _run(EN_SIZES_LETTER, 3, 6),
          ("comes in sizes {v}", "is available in {v}", "is offered in sizes {v}"),
          ("Sizes: {v}.", "Available sizes: {v}.", "You can order it in {v}.")),
        A(("care", "care instructions"), _pick("machine wash cold", "hand wash only", "dry clean only", "machine wash at 30°C"),
          ("carries a care label reading {v}", "is labelled {v}", "has care instructions of {v}"),
          ("Care: {v}.", "Care instructions: {v}.", "Washing: {v}."), 0.7),
        A("lining", _pick("lined", "unlined", "partially lined"),
          ("is {v}", "comes {v}", "is {v} inside"),
          ("Lining: {v}.", "The dress is {v}.", "Inside, it is {v}."), 0.5),
        en_colour(),
    ),
))

_en(Category(
    "outdoor_jackets",
    ("Rain Jacket", "Outdoor Jacket", "Hiking Jacket", "Shell Jacket"),
    ("jacket", "shell"),
    ("outdoor jacket", "hiking jacket", "rain shell"),
    (49, 349),
    (
        A(("shell", "shell fabric"), _pick("nylon ripstop", "polyester", "2.5-layer nylon", "3-layer laminate", "softshell polyester"),
          ("has {av} shell", "is built from {v}", "uses {av} outer"),
          ("Shell: {v}.", "The outer fabric is {v}.", "Its shell is {v}."), 1.0),
        A("waterproof rating", _pick("5000 mm", "10000 mm", "15000 mm", "20000 mm", "10,000 mm", "20,000 mm"),
          ("has a waterproof rating of {v}", "is rated {v} waterproof", "carries a {v} hydrostatic head rating"),
          ("Waterproof rating: {v}.", "The fabric is rated to {v}.", "It has a hydrostatic head of {v}."), 0.75),
        A("breathability", _pick("5000 g/m²/24h", "10000 g/m²/24h", "15000 g/m²/24h", "20000 g/m²/24h"),
          ("has a breathability rating of {v}", "is rated {v} for breathability", "lists breathability at {v}"),
          ("Breathability: {v}.", "The membrane is rated {v} for breathability.", "Breathability is listed as {v}."), 0.5),
        A("insulation", _pick("synthetic insulation", "duck down fill", "fleece lining", "80 g synthetic fill"),
          ("has {v}", "comes with {v}", "includes {v}"),
          ("Insulation: {v}.", "Inside there is {v}.", "The {n} has {v}."), 0.5),
        A("hood", _pick("adjustable hood", "fixed hood", "packaway hood", "detachable hood"),
          ("has {av}", "comes with {av}", "includes {av}"),
          ("Hood: {v}.", "It has {av}.", "Up top there is {av}.")),
        A("pockets", _int(2, 6),
          ("has {v} pockets", "provides {v} pockets", "comes with {v} pockets"),
          ("Pockets: {v}.", "There are {v} pockets.", "It has {v} pockets in total."), 0.8),
        A(("seams", "seam sealing"), _pick("fully taped seams", "critically taped seams", "welded seams"),
          ("has {v}", "is finished with {v}", "comes with {v}"),
          ("Seams: {v}.", "Construction uses {v}.", "The {n} has {v}."), 0.5),
        en_weight(_num(280, 780, 10, "{} g", "{}g")),
        A("sizes", _run(EN_SIZES_LETTER, 3, 6),
          ("comes in sizes {v}", "is available in {v}", "is offered in sizes {v}"),
          ("Sizes: {v}.", "Available sizes: {v}.", "You can order it in {v}."), 0.8),
        en_colour(),
    ),
))

_en(Category(
    "tents",
    ("Camping Tent", "Backpacking Tent", "Dome Tent", "Tent"),
    ("tent", "shelter"),
    ("camping tent", "backpacking tent", "dome tent"),
    (59, 499),
    (
        A(("capacity", "sleeps"), _counted(1, 4, "1 person", "{} people"),
          ("sleeps {v}", "has room for {v}", "is sized for {v}"),
          ("Capacity: {v}.", "It sleeps {v}.", "The {n} is sized for {v}."), 1.0),
        A("season", _pick("3-season", "4-season"),
          ("is {av} design", "is rated {v}", "is built as {av} shelter"),
          ("Season rating: {v}.", "This is {av} tent.", "It is rated as {av} model.")),
        A("packed weight", _num(1.1, 4.8, 0.1, "{} kg", "{}kg"),
          ("has a packed weight of {v}", "weighs {v} packed", "comes to {v} when packed"),
          ("Packed weight: {v}.", "Packed, it weighs {v}.", "The packed weight is {v}.")),
        A("packed size", _dims(((35, 60), (12, 22)), "{} x {} cm", "{}x{} cm"),
          ("packs to {v}", "has a packed size of {v}", "rolls up to {v}"),
          ("Packed size: {v}.", "It packs down to {v}.", "Rolled up, it measures {v}."), 0.8),
        A(("flysheet", "fly"), _pick("190T polyester", "20D silnylon", "68D polyester", "ripstop nylon"),
          ("has {av} flysheet", "uses {v} for the fly", "is covered by {av} flysheet"),
          ("Flysheet: {v}.", "The fly is {v}.", "Its flysheet is {v}.")),
        A("waterproof rating", _pick("1500 mm", "2000 mm", "3000 mm", "5000 mm", "3,000 mm"),
          ("has a waterproof rating of {v}", "is rated {v} waterproof", "carries a {v} hydrostatic head"),
          ("Waterproof rating: {v}.", "The fly is rated to {v}.", "Hydrostatic head: {v}."), 0.8),
        A("poles", _pick("aluminium", "fibreglass", "DAC aluminium", "7001 aluminium"),
          ("uses {v} poles", "is pitched on {v} poles", "has {v} poles"),
          ("Poles: {v}.", "The poles are {v}.", "It stands on {v} poles.")),
        A("doors", _counted(1, 2, "1 door", "{} doors"),
          ("has {v}", "opens through {v}", "offers {v}"),
          ("Doors: {v}.", "Access is through {v}.", "The {n} has {v}."), 0.7),
        en_colour(0.7),
    ),
))

_en(Category(
    "electric_kettles",
    ("Electric Kettle", "Kettle", "Cordless Kettle", "Electric Water Kettle"),
    ("kettle",),
    ("electric kettle", "kitchen kettle", "cordless electric kettle"),
    (19, 129),
    (
        A("capacity", _pick("1.0 L", "1.2 L", "1.5 L", "1.7 L", "1.8 L", "1.7L", "1.5L"),
          ("holds {v}", "has a capacity of {v}", "boils up to {v} at a time"),
          ("Capacity: {v}.", "It holds {v} of water.", "The jug takes {v}."), 1.0),
        A(("power", "wattage"), _num(1200, 3000, 100, "{} W", "{}W"),
          ("draws {v}", "is rated at {v}", "has {av} heating element"),
          ("Power: {v}.", "The heating element is rated {v}.", "It runs at {v}.")),
        A(("body material", "material"), _pick("stainless steel", "borosilicate glass", "BPA-free plastic", "double-wall stainless steel", "glass and stainless steel"),
          ("has {av} body", "is made of {v}", "uses {av} body"),
          ("Body: {v}.", "The body is {v}.", "Its body is made of {v}.")),
        A("temperature settings", lambda r: r.sample(["40 °C", "60 °C", "70 °C", "80 °C", "90 °C", "100 °C"], r.randint(3, 5)),
          ("offers presets at {v}", "has temperature settings of {v}", "can be set to {v}"),
          ("Temperature presets: {v}.", "You can pick {v}.", "Settings: {v}."), 0.5),
        A(("safety", "safety features"), _some(("auto shut-off", "boil-dry protection", "lid lock", "cool-touch handle"), 1, 3),
          ("includes {v}", "has {v}", "comes with {v}"),
          ("Safety features: {v}.", "It includes {v}.", "Safety: {v}.")),
        A("cord length", _pick("0.75 m", "0.8 m", "1 m", "1.2 m", "75 cm"),
          ("has {av} cord", "comes with {av} power cord", "is connected by {av} cord"),
          ("Cord length: {v}.", "The power cord is {v} long.", "It has {av} cord."), 0.6),
        en_weight(_num(0.7, 1.6, 0.1, "{} kg", "{}kg"), 0.6),
        en_colour(),
    ),
))

_en(Category(
    "skincare",
    ("Face Cream", "Facial Serum", "Gel Cleanser", "Night Cream", "Moisturiser"),
    ("product", "formula", "jar"),
    ("skincare product", "face care product", "daily skincare item"),
    (9, 89),
    (
        A(("volume", "net content", "size"), _pick("30 ml", "50 ml", "100 ml", "150 ml", "50ml", "200 ml"),
          ("contains {v}", "comes in {av} pack", "holds {v}"),
          ("Volume: {v}.", "Net content: {v}.", "Each pack holds {v}."), 1.0),
        A("skin type", _pick("dry skin", "oily skin", "combination skin", "sensitive skin", "all skin types", "normal to dry skin"),
          ("is formulated for {v}", "is labelled for {v}", "is intended for {v}"),
          ("Skin type: {v}.", "It is labelled for {v}.", "Suitable skin type: {v}.")),
        A("key ingredients", _some(("hyaluronic acid", "niacinamide", "ceramides", "squalane", "vitamin C", "panthenol",
                                    "green tea extract", "centella asiatica", "glycerin", "shea butter", "allantoin", "peptides"), 2, 3),
          ("contains {v}", "is made with {v}", "lists {v} among its ingredients"),
          ("Key ingredients: {v}.", "The formula includes {v}.", "Ingredients include {v}.")),
        A("texture", _pick("light gel", "rich cream", "lotion", "watery essence", "foam", "balm"),
          ("has {av} texture", "comes as {av}", "has the texture of {av}"),
          ("Texture: {v}.", "The texture is {av}.", "It comes as {av}.")),
        A(("fragrance", "scent"), _pick("fragrance-free", "lightly scented", "unscented"),
          ("is {v}", "comes {v}", "is labelled {v}"),
          ("Fragrance: {v}.", "The formula is {v}.", "Scent: {v}.")),
        A(("period after opening", "shelf life after opening"), _pick("6 months", "12 months", "18 months", "24 months"),
          ("should be used within {v} of opening", "keeps for {v} after opening", "has a period after opening of {v}"),
          ("Use within {v} of opening.", "Period after opening: {v}.", "Once opened, it keeps for {v}."), 0.6),
        A(("routine", "use"), _pick("morning and evening", "night-time", "daytime", "daily"),
          ("fits {av} routine", "is meant for {av} routine", "belongs in {av} routine"),
          ("Routine: {v}.", "It is meant for {av} routine.", "Use it as part of {av} routine."), 0.7),
    ),
))

_en(Category(
    "bedding",
    ("Duvet", "Quilt", "Comforter", "Duvet Insert"),
    ("duvet", "quilt", "comforter"),
    ("duvet", "bed quilt", "comforter"),
    (39, 399),
    (
        A("size", _pick("135 x 200 cm", "150 x 200 cm", "200 x 200 cm", "200 x 230 cm", "220 x 240 cm", "230 x 220 cm"),
          ("measures {v}", "has a size of {v}", "comes in {v}"),
          ("Size: {v}.", "It measures {v}.", "The {n} is {v}."), 1.0),
        A(("fill", "filling"), _pick("white duck down", "goose down", "microfibre", "mulberry silk", "cotton", "hollowfibre"),
          ("is filled with {v}", "uses {v} fill", "has {av} filling"),
          ("Fill: {v}.", "The filling is {v}.", "Inside is {v}.")),
        A("fill weight", _num(0.8, 3.0, 0.1, "{} kg", "{}kg"),
          ("carries {v} of fill", "has a fill weight of {v}", "contains {v} of filling"),
          ("Fill weight: {v}.", "It holds {v} of filling.", "The fill weighs {v}."), 0.8),
        A(("cover", "cover fabric"), _pick("cotton percale", "cotton sateen", "microfibre", "Tencel", "polyester", "brushed cotton"),
          ("has {av} cover", "is encased in {v}", "uses {v} for the cover"),
          ("Cover: {v}.", "The cover is {v}.", "The outer fabric is {v}.")),
        A("thread count", _int(200, 600, 50),
          ("has a thread count of {v}", "uses a {v} thread count shell", "is woven to a {v} thread count"),
          ("Thread count: {v}.", "The cover has a thread count of {v}.", "It is woven at {v} threads per square inch."), 0.6),
        A(("tog", "tog rating"), _pick("4.5 tog", "7.5 tog", "10.5 tog", "13.5 tog", "9 tog"),
          ("has {av} rating", "is rated {v}", "comes in {av} weight"),
          ("Tog rating: {v}.", "This is {av} duvet.", "It is rated {v}."), 0.7),
        A("season", _pick("summer", "spring and autumn", "winter", "all seasons"),
          ("is meant for {v}", "is labelled for {v}", "is made for {v}"),
          ("Season: {v}.", "It is labelled for {v}.", "Intended season: {v}."), 0.7),
        A("care", _pick("machine washable at 40 °C", "dry clean only", "machine washable at 60 °C", "spot clean only"),
          ("is {v}", "is listed as {v}", "is labelled {v}"),
          ("Care: {v}.", "Care instructions: {v}.", "Washing: {v}."), 0.6),
        en_colour(0.5),
    ),
))

_en(Category(
    "toys",
    ("Building Block Set", "Brick Building Kit", "Construction Set", "Building Kit"),
    ("set", "kit"),
    ("building block set", "construction toy", "brick building kit"),
    (15, 199),
    (
        A(("pieces", "piece count"), _int(120, 2400, 10),
          ("contains {v} pieces", "includes {v} pieces", "is made up of {v} pieces"),
          ("Piece count: {v}.", "There are {v} pieces in the box.", "The {n} has {v} pieces."), 1.0),
        A(("age", "recommended age"), _pick("3+", "6+", "8+", "10+", "12+", "14+"),
          ("is recommended for ages {v}", "carries an age rating of {v}", "is labelled for ages {v}"),
          ("Age: {v}.", "Recommended age: {v}.", "It is labelled for ages {v}.")),
        A("material", _pick("ABS plastic", "beech wood", "recycled plastic", "pine wood", "bio-based plastic"),
          ("is made of {v}", "uses {v} pieces", "is produced in {v}"),
          ("Material: {v}.", "The pieces are {v}.", "It is made of {v}.")),
        A("theme", _pick("city", "space", "castle", "vehicles", "animals", "dinosaurs", "ocean", "farm", "railway"),
          ("follows {av} theme", "is themed around {v}", "has {av} theme"),
          ("Theme: {v}.", "The {n} has {av} theme.", "Its theme is {v}.")),
        A(("finished size", "built size"), _dims(((15, 60), (10, 40), (10, 45)), "{} x {} x {} cm", "{}x{}x{} cm"),
          ("measures {v} once assembled", "comes out at {v} when finished", "builds to {v}"),
          ("Built size: {v}.", "Once assembled it measures {v}.", "The finished model measures {v}."), 0.7),
        A("instructions", _pick("printed booklet", "app-based instructions", "printed booklet and app"),
          ("comes with {av}" , "includes {v}", "ships with {v}"),
          ("Instructions: {v}.", "Building steps come as {v}.", "It includes {v}."), 0.6),
        A(("models", "build options"), _int(2, 5),
          ("can be built into {v} models", "offers {v} build options", "supports {v} alternate builds"),
          ("Build options: {v}.", "The bricks can make {v} models.", "There are {v} models to build."), 0.5),
    ),
))

_en(Category(
    "standing_desks",
    ("Standing Desk", "Electric Standing Desk", "Sit-Stand Desk", "Height Adjustable Desk"),
    ("desk",),
    ("standing desk", "sit-stand desk", "height-adjustable desk"),
    (149, 899),
    (
        A(("desktop size", "top size"), _pick("100 x 60 cm", "120 x 60 cm", "140 x 70 cm", "160 x 80 cm", "180 x 80 cm", "120x60 cm"),
          ("has {av} desktop", "offers {av} work surface", "measures {v} on top"),
          ("Desktop size: {v}.", "The top measures {v}.", "Work surface: {v}."), 1.0),
        A("height range", _pick("72-118 cm", "71-121 cm", "62-127 cm", "73-123 cm", "65-130 cm"),
          ("adjusts across {v}", "has a height range of {v}", "raises and lowers within {v}"),
          ("Height range: {v}.", "It adjusts across {v}.", "The height can be set within {v}.")),
        A("motor", _pick("single motor", "dual motor"),
          ("uses {av}", "runs on {av}", "is driven by {av}"),
          ("Motor: {v}.", "It is driven by {av}.", "The frame uses {av}.")),
        A(("max load", "load capacity"), _num(60, 160, 10, "{} kg", "{}kg"),
          ("carries up to {v}", "has a maximum load of {v}", "is rated for {v}"),
          ("Max load: {v}.", "It is rated for {v}.", "The frame carries up to {v}.")),
        A(("desktop material", "top material"), _pick("particle board", "bamboo", "MDF", "solid oak", "walnut veneer"),
          ("has {av} top", "uses {v} for the desktop", "comes with {av} desktop"),
          ("Desktop material: {v}.", "The top is {v}.", "The work surface is {v}.")),
        A("frame colour", _pick("black", "white", "grey", "silver"),
          ("has {av} frame", "sits on {av} frame", "comes with {av} frame"),
          ("Frame colour: {v}.", "The frame is {v}.", "Its frame is {v}.")),
        A("memory presets", _int(2, 4),
          ("stores {v} height presets", "has {v} memory presets", "saves {v} positions"),
          ("Memory presets: {v}.", "The control panel saves {v} heights.", "It keeps {v} height presets."), 0.7),
        en_weight(_num(18, 45, 1, "{} kg", "{}kg"), 0.6),
    ),
))

# ---- Chinese ---------------------------------------------------------------

ZH_COLOURS = (
    "黑色", "白色", "曜石黑", "珍珠白", "雾霾蓝", "燕麦色", "墨绿色", "酒红色", "天空蓝", "樱花粉",
    "奶油白", "卡其色", "深空灰", "香槟金", "薄荷绿", "藏青色", "浅灰色", "焦糖色", "丁香紫", "橄榄绿",
    "米白色", "砖红色", "湖水蓝", "银色", "珊瑚橙", "杏色", "咖啡色", "象牙白", "石墨灰", "月光银",
    "烟粉色", "松石绿", "柠檬黄", "雾紫色", "深棕色", "牛仔蓝", "驼色", "玫瑰金",
)


ZH_COLOUR_MIXES = {
    "雾霾": "蓝灰紫粉", "燕麦": "色白", "曜石": "黑灰", "珍珠": "白粉", "奶油": "白黄", "薄荷": "绿蓝", "焦糖": "色棕",
    "丁香": "紫", "橄榄": "绿", "湖水": "蓝绿", "珊瑚": "粉红橙", "象牙": "白", "石墨": "灰黑", "月光": "白银灰",
    "松石": "绿蓝", "柠檬": "黄绿", "牛仔": "蓝", "樱花": "粉白", "天空": "蓝", "深空": "灰黑蓝", "冰川": "蓝白",
    "岩石": "灰", "海盐": "蓝白", "琥珀": "黄棕", "蜜桃": "粉", "抹茶": "绿", "可可": "棕", "晨雾": "灰蓝",
    "暮光": "紫", "极光": "绿紫", "深海": "蓝", "森林": "绿", "沙漠": "黄棕", "落日": "橙红", "午夜": "蓝黑",
    "银河": "灰蓝", "远山": "青蓝", "烟雨": "灰青", "藕荷": "色紫", "胭脂": "红粉",
}
ZH_COLOUR_POOL = tuple(dict.fromkeys(
    ZH_COLOURS + tuple(m + b for m, bases in ZH_COLOUR_MIXES.items() for b in bases)
))


def zh_colour(prob: float = 0.9) -> Attr:
    return A(
        ("颜色", "配色"),
        _colour(ZH_COLOUR_POOL),
        ("颜色为{v}", "提供{v}可选", "有{v}可选", "采用{v}配色", "[配色|颜色]选用{v}", "外观为{v}"),
        ("颜色：{v}。", "{n}的颜色是{v}。", "可选颜色为{v}。", "[配色|外观颜色|色系]为{v}。"),
        prob,
    )


def zh_weight(gen: Gen, prob: float = 0.85, extra: Sequence[str] = ()) -> Attr:
    return A(
        ("重量", "净重"),
        gen,
        ("重{v}", "重量为{v}", "整体重量{v}", "净重{v}", *extra),
        ("重量：{v}。", "{n}的重量是{v}。", "整体重量为{v}。"),
        prob,
    )


def zh_dims(keys: str | tuple[str, ...], gen: Gen, prob: float = 0.7) -> Attr:
    return A(
        keys,
        gen,
        ("尺寸为{v}", "外形尺寸{v}", "大小为{v}"),
        ("尺寸：{v}。", "{n}的尺寸是{v}。", "外形尺寸为{v}。"),
        prob,
    )


ZH_SIZES_EU = tuple(str(s) for s in range(35, 48))
ZH_SIZES_LETTER = ("XS", "S", "M", "L", "XL", "XXL")

ZH_CATEGORIES: dict[str, Category] = {}


def _zh(cat: Category) -> None:
    ZH_CATEGORIES[cat.slug] = cat


_zh(Category(
    "headphones",
    ("无线蓝牙耳机", "头戴式蓝牙耳机", "无线耳机", "蓝牙耳机"),
    ("耳机", "头戴耳机"),
    ("无线耳机", "蓝牙耳机", "头戴式耳机"),
    (199, 2499),
    (
        A("佩戴方式", _pick("头戴式", "贴耳式"),
          ("采用{v}设计", "为{v}结构", "属于{v}耳机"),
          ("佩戴方式：{v}。", "这是一款{v}耳机。", "{n}采用{v}佩戴方式。")),
        A(("单元尺寸", "发声单元"), _num(30, 50, 2, "{}毫米", "{}mm"),
          ("配备{v}单元", "使用{v}驱动单元", "内置{v}发声单元"),
          ("单元尺寸：{v}。", "两侧各有一枚{v}单元。", "声音来自{v}驱动单元。")),
        A(("续航", "续航时间"), _num(20, 70, 5, "{}小时", "{}h"),
          ("续航可达{v}", "充满电可使用{v}", "标称续航{v}", "一次充电可播放{v}"),
          ("续航时间：{v}。", "充满电后可连续播放{v}。", "标称续航为{v}。")),
        A(("蓝牙版本", "连接方式"), _pick("蓝牙5.0", "蓝牙5.2", "蓝牙5.3", "蓝牙5.4"),
          ("支持{v}", "通过{v}连接", "采用{v}连接"),
          ("连接方式：{v}。", "{n}通过{v}与设备配对。", "无线连接使用{v}。")),
        A("降噪", _pick("主动降噪", "混合主动降噪", "被动降噪"),
          ("具备{v}功能", "支持{v}", "带有{v}"),
          ("降噪类型：{v}。", "这款耳机支持{v}。", "降噪方面采用{v}。"), 0.7),
        A("充电接口", _pick("Type-C", "Micro-USB"),
          ("使用{v}接口充电", "充电接口为{v}", "通过{v}充电"),
          ("充电接口：{v}。", "充电时使用{v}接口。", "{n}通过{v}接口补电。")),
        zh_weight(_num(160, 340, 1, "{}克", "{}g")),
        zh_colour(),
        A("功能", _some(("多点连接", "通透模式", "折叠收纳", "通话麦克风", "触控操作", "有线模式", "低延迟模式", "App调音"), 2, 3),
          ("支持{v}", "还具备{v}", "带有{v}等功能"),
          ("其他功能：{v}。", "功能方面包括{v}。", "它还支持{v}。"), 0.6),
    ),
))

_zh(Category(
    "power_banks",
    ("充电宝", "移动电源", "便携充电宝", "磁吸移动电源"),
    ("充电宝", "移动电源"),
    ("充电宝", "移动电源", "便携电源"),
    (59, 499),
    (
        A(("容量", "电池容量"), lambda r: r.choice(("{}毫安时", "{}mAh")).format(r.choice((5000, 10000, 12000, 15000, 20000, 24000, 26800, 30000))),
          ("容量为{v}", "内置{v}电芯", "拥有{v}容量", "电池容量达到{v}"),
          ("电池容量：{v}。", "{n}的容量为{v}。", "内部电芯容量为{v}。"), 1.0),
        A(("最大输出功率", "输出功率"), lambda r: r.choice(("{}W", "{}瓦")).format(r.choice((12, 15, 18, 20, 22.5, 30, 45, 65, 100))),
          ("最大输出功率为{v}", "支持最高{v}输出", "输出功率最高{v}"),
          ("最大输出：{v}。", "输出功率上限为{v}。", "单口最高可输出{v}。")),
        A(("接口", "输出接口"), lambda r: _ports(r, "{}个USB-C", "{}个USB-A", "1个Lightning"),
          ("配有{v}接口", "提供{v}", "设有{v}"),
          ("接口：{v}。", "机身侧面设有{v}。", "接口配置为{v}。")),
        A(("输入", "输入规格"), _pick("USB-C 18W", "USB-C 20W", "USB-C 30W", "Micro-USB 10W", "USB-C 45W"),
          ("输入规格为{v}", "通过{v}为自身充电", "支持{v}输入"),
          ("输入：{v}。", "{n}自身充电使用{v}。", "回充规格为{v}。")),
        A(("电芯类型", "电池类型"), _pick("锂聚合物", "锂离子"),
          ("采用{v}电芯", "使用{v}电池", "电芯类型为{v}"),
          ("电芯：{v}。", "内部使用{v}电芯。", "电池类型为{v}。"), 0.7),
        zh_weight(_num(120, 620, 1, "{}克", "{}g")),
        zh_dims("尺寸", _dims(((90, 160), (60, 80), (12, 30)), "{}×{}×{}毫米", "{}x{}x{}mm")),
        zh_colour(),
        A("电量显示", _pick("LED指示灯", "数字电量显示屏", "四格指示灯"),
          ("配有{v}", "通过{v}显示剩余电量", "带{v}"),
          ("电量显示：{v}。", "剩余电量通过{v}查看。", "正面设有{v}。"), 0.6),
    ),
))

_zh(Category(
    "laptop_sleeves",
    ("电脑内胆包", "笔记本电脑包", "笔记本内胆包", "电脑保护套"),
    ("内胆包", "电脑包", "保护套"),
    ("电脑内胆包", "笔记本保护套", "电脑收纳包"),
    (39, 299),
    (
        A(("适用尺寸", "适配尺寸"), _pick("11.6英寸", "13英寸", "13.3英寸", "14英寸", "15.6英寸", "16英寸", "14寸"),
          ("适用于{v}笔记本电脑", "最大可放{v}笔记本", "适配{v}机型"),
          ("适用尺寸：{v}。", "{n}可装下{v}笔记本电脑。", "适配屏幕尺寸为{v}。"), 1.0),
        A(("外层材质", "面料"), _pick("涤纶", "尼龙", "毛毡", "潜水料", "帆布", "PU皮革", "再生涤纶"),
          ("外层采用{v}", "外料为{v}", "表面使用{v}材质"),
          ("外层材质：{v}。", "{n}外层是{v}。", "表面面料为{v}。")),
        A("内衬", _pick("短毛绒", "超细纤维", "抓绒", "法兰绒"),
          ("内衬为{v}", "内部衬有{v}", "内里使用{v}"),
          ("内衬：{v}。", "包内衬里为{v}。", "内里材质是{v}。")),
        A("口袋", _pick("1个拉链口袋", "2个前置口袋", "1个前袋", "2个拉链口袋", "前后各1个口袋"),
          ("配有{v}", "设有{v}", "带{v}"),
          ("口袋：{v}。", "收纳方面设有{v}。", "外侧配有{v}。"), 0.8),
        A("开合方式", _pick("拉链", "磁吸翻盖", "双向拉链", "魔术贴", "按扣"),
          ("采用{v}开合", "通过{v}开合", "开合方式为{v}"),
          ("开合方式：{v}。", "包口使用{v}。", "{n}采用{v}开合。"), 0.8),
        zh_dims(("内部尺寸", "尺寸"), _dims(((28, 40), (20, 28), (2, 4)), "{}×{}×{}厘米", "{}x{}x{}cm")),
        zh_weight(_num(150, 480, 10, "{}克", "{}g")),
        zh_colour(),
        A("防水性能", _pick("防泼水涂层", "防溅水面料"),
          ("外层带{v}", "具有{v}", "附有{v}"),
          ("防水性能：{v}。", "外层做了{v}处理。", "表面带有{v}。"), 0.4),
    ),
))

_zh(Category(
    "running_shoes",
    ("跑步鞋", "缓震跑鞋", "运动跑鞋", "男女同款跑鞋"),
    ("跑鞋", "鞋子", "运动鞋"),
    ("跑步鞋", "运动鞋", "跑鞋"),
    (199, 1299),
    (
        A(("鞋面", "鞋面材质"), _pick("工程网布", "针织", "再生网布", "合成网布", "提花网布"),
          ("鞋面采用{v}", "鞋面材质为{v}", "使用{v}鞋面"),
          ("鞋面：{v}。", "{n}的鞋面是{v}。", "鞋面部分选用{v}。")),
        A("中底", _pick("EVA泡棉", "TPU发泡", "氮气发泡", "超临界发泡", "EVA加橡胶"),
          ("中底为{v}", "搭载{v}中底", "中底采用{v}"),
          ("中底：{v}。", "中底材料是{v}。", "脚下是{v}中底。")),
        A(("大底", "外底"), _pick("橡胶", "碳素橡胶", "发泡橡胶", "橡胶（4毫米齿纹）"),
          ("大底为{v}", "外底采用{v}", "鞋底使用{v}"),
          ("大底：{v}。", "外底材料为{v}。", "底部采用{v}。")),
        A("跟掌差", _num(4, 12, 2, "{}毫米", "{}mm"),
          ("跟掌差为{v}", "前后掌落差{v}", "采用{v}跟掌差"),
          ("跟掌差：{v}。", "前后掌落差为{v}。", "{n}的跟掌差是{v}。")),
        zh_weight(_num(180, 320, 1, "{}克", "{}g"), extra=("单只重{v}",)),
        A(("尺码", "可选尺码"), _run(ZH_SIZES_EU, 4, 8),
          ("有{v}码可选", "提供{v}码", "尺码覆盖{v}"),
          ("尺码：{v}。", "可选尺码为{v}。", "目前有{v}码。")),
        A("适用场景", _pick("路跑", "越野跑", "跑道训练", "日常慢跑", "跑步机和路跑"),
          ("适合{v}", "主打{v}", "面向{v}场景"),
          ("适用场景：{v}。", "{n}面向{v}。", "主要用于{v}。")),
        zh_colour(),
    ),
))

_zh(Category(
    "dresses",
    ("连衣裙", "中长款连衣裙", "夏季连衣裙", "休闲连衣裙"),
    ("连衣裙", "裙子"),
    ("连衣裙", "女装连衣裙", "休闲裙装"),
    (99, 899),
    (
        A(("面料", "材质"), _pick("95%棉、5%氨纶", "亚麻", "粘胶纤维", "雪纺", "棉质府绸", "醋酸缎面", "针织面料", "天丝", "棉麻混纺"),
          ("采用{v}", "面料为{v}", "选用{v}"),
          ("面料：{v}。", "{n}的面料是{v}。", "裙身使用{v}制作。"), 1.0),
        A("裙长", _pick("短款", "及膝款", "中长款", "长款"),
          ("为{v}设计", "裙长为{v}", "属于{v}"),
          ("裙长：{v}。", "这是一条{v}连衣裙。", "裙摆长度为{v}。")),
        A("袖型", _pick("无袖", "短袖", "长袖", "泡泡袖", "七分袖", "盖袖"),
          ("采用{v}设计", "袖型为{v}", "是{v}款式"),
          ("袖型：{v}。", "{n}为{v}。", "袖子是{v}款式。")),
        A("领型", _pick("V领", "圆领", "方领", "一字领", "挂脖领", "裹身领"),
          ("领口为{v}", "采用{v}", "做了{v}设计"),
          ("领型：{v}。", "领口是{v}。", "{n}采用{v}设计。")),
        A("图案", _pick("碎花", "波点", "格纹", "条纹", "纯色", "树叶印花"),
          ("图案为{v}", "采用{v}图案", "带有{v}元素"),
          ("图案：{v}。", "裙身是{v}图案。", "整体为{v}风格。")),
        A("尺码", _run(ZH_SIZES_LETTER, 3, 6),
          ("有{v}码可选", "提供{v}码", "尺码覆盖{v}"),
          ("尺码：{v}。", "可选尺码为{v}。", "目前有{v}码。")),
        A(("洗涤方式", "洗护"), _pick("冷水机洗", "手洗", "干洗", "30℃机洗"),
          ("洗涤方式为{v}", "建议{v}", "清洗时请{v}"),
          ("洗涤：{v}。", "护理方式：{v}。", "洗护建议为{v}。"), 0.7),
        zh_colour(),
    ),
))

_zh(Category(
    "outdoor_jackets",
    ("冲锋衣", "户外防水外套", "登山外套", "硬壳冲锋衣"),
    ("冲锋衣", "外套"),
    ("冲锋衣", "户外外套", "登山服"),
    (299, 2599),
    (
        A(("面料", "外层面料"), _pick("尼龙格纹布", "涤纶", "2.5层尼龙", "三层复合面料", "软壳涤纶"),
          ("外层面料为{v}", "采用{v}面料", "面料选用{v}"),
          ("面料：{v}。", "{n}的外层是{v}。", "外层使用{v}。"), 1.0),
        A("防水指数", _pick("5000毫米", "10000毫米", "15000毫米", "20000毫米", "10000mm", "20000mm"),
          ("防水指数为{v}", "防水等级为{v}", "静水压{v}"),
          ("防水指数：{v}。", "面料静水压为{v}。", "防水指数标注为{v}。"), 0.75),
        A("透气指数", _pick("5000g/m²/24h", "10000g/m²/24h", "15000g/m²/24h", "20000g/m²/24h"),
          ("透气指数为{v}", "透气性标称{v}", "透湿量{v}"),
          ("透气指数：{v}。", "透湿量标注为{v}。", "面料透气指数是{v}。"), 0.5),
        A("保暖层", _pick("合成棉填充", "白鸭绒填充", "抓绒内胆", "80克合成棉"),
          ("内含{v}", "配有{v}", "保暖层为{v}"),
          ("保暖层：{v}。", "内部为{v}。", "{n}内含{v}。"), 0.5),
        A("帽子", _pick("可调节帽子", "固定连帽", "可收纳帽子", "可拆卸帽子"),
          ("带{v}", "配有{v}", "设计了{v}"),
          ("帽子：{v}。", "帽子设计为{v}。", "{n}带有{v}。")),
        A("口袋数量", _int(2, 6),
          ("共有{v}个口袋", "设有{v}个口袋", "配备{v}个口袋"),
          ("口袋数量：{v}。", "全身共{v}个口袋。", "{n}一共有{v}个口袋。"), 0.8),
        A("压胶工艺", _pick("全压胶", "关键部位压胶", "无缝热压"),
          ("采用{v}工艺", "接缝做了{v}处理", "做了{v}"),
          ("压胶工艺：{v}。", "接缝处为{v}。", "工艺上采用{v}。"), 0.5),
        zh_weight(_num(280, 780, 10, "{}克", "{}g")),
        A("尺码", _run(ZH_SIZES_LETTER, 3, 6),
          ("有{v}码可选", "提供{v}码", "尺码覆盖{v}"),
          ("尺码：{v}。", "可选尺码为{v}。", "目前有{v}码。"), 0.8),
        zh_colour(),
    ),
))

_zh(Category(
    "tents",
    ("露营帐篷", "户外帐篷", "双层帐篷", "徒步帐篷"),
    ("帐篷",),
    ("露营帐篷", "户外帐篷", "徒步帐篷"),
    (299, 2999),
    (
        A("适用人数", _int(1, 4),
          ("可容纳{v}人", "适合{v}人使用", "为{v}人帐"),
          ("适用人数：{v}。", "{n}可睡{v}人。", "内部空间适合{v}人。"), 1.0),
        A("季节", _pick("三季", "四季"),
          ("属于{v}帐篷", "为{v}款", "适用于{v}"),
          ("季节：{v}。", "这是一顶{v}帐篷。", "{n}按{v}设计。")),
        A(("包装重量", "收纳重量"), _num(1.1, 4.8, 0.1, "{}千克", "{}kg"),
          ("打包重量为{v}", "收纳后重{v}", "整帐重{v}"),
          ("包装重量：{v}。", "收好后重量为{v}。", "整套打包重{v}。")),
        A("收纳尺寸", _dims(((35, 60), (12, 22)), "{}×{}厘米", "{}x{}cm"),
          ("收纳尺寸为{v}", "收起后为{v}", "打包后尺寸{v}"),
          ("收纳尺寸：{v}。", "收起来的尺寸是{v}。", "打包后为{v}。"), 0.8),
        A("外帐", _pick("190T涤纶", "20D硅尼龙", "68D涤纶", "格子尼龙"),
          ("外帐采用{v}", "外帐面料为{v}", "使用{v}外帐"),
          ("外帐：{v}。", "外帐是{v}材质。", "{n}的外帐为{v}。")),
        A("防水指数", _pick("1500毫米", "2000毫米", "3000毫米", "5000毫米", "3000mm"),
          ("防水指数为{v}", "外帐防水{v}", "静水压{v}"),
          ("防水指数：{v}。", "外帐静水压为{v}。", "防水指数标注为{v}。"), 0.8),
        A("帐杆", _pick("铝合金", "玻璃纤维", "DAC铝合金", "7001铝合金"),
          ("帐杆为{v}", "使用{v}帐杆", "采用{v}杆"),
          ("帐杆：{v}。", "支撑杆是{v}。", "{n}使用{v}帐杆。")),
        A("门", _int(1, 2),
          ("设有{v}个门", "共{v}个出入口", "开{v}扇门"),
          ("门：{v}个。", "出入口共有{v}个。", "{n}设有{v}扇门。"), 0.7),
        zh_colour(0.7),
    ),
))

_zh(Category(
    "electric_kettles",
    ("电热水壶", "烧水壶", "家用电水壶", "保温电热水壶"),
    ("水壶", "电水壶"),
    ("电热水壶", "烧水壶", "厨房电器"),
    (79, 599),
    (
        A("容量", _pick("1.0升", "1.2升", "1.5升", "1.7升", "1.8升", "1.7L", "1.5L"),
          ("容量为{v}", "可装{v}水", "一次可烧{v}"),
          ("容量：{v}。", "{n}可装{v}水。", "壶身容量是{v}。"), 1.0),
        A(("功率", "额定功率"), _num(1200, 3000, 100, "{}W", "{}瓦"),
          ("功率为{v}", "额定功率{v}", "采用{v}加热"),
          ("功率：{v}。", "加热功率为{v}。", "{n}的额定功率是{v}。")),
        A(("壶身材质", "材质"), _pick("304不锈钢", "高硼硅玻璃", "不含BPA塑料", "双层不锈钢", "玻璃与不锈钢"),
          ("壶身采用{v}", "壶体为{v}", "使用{v}壶身"),
          ("壶身材质：{v}。", "壶身由{v}制成。", "{n}的壶体是{v}。")),
        A("温度档位", lambda r: r.sample(["40℃", "60℃", "70℃", "80℃", "90℃", "100℃"], r.randint(3, 5)),
          ("可设定{v}", "提供{v}等档位", "支持{v}温度设置"),
          ("温度档位：{v}。", "可选温度包括{v}。", "档位设置为{v}。"), 0.5),
        A("安全功能", _some(("自动断电", "防干烧", "壶盖锁定", "防烫手柄"), 1, 3),
          ("具备{v}功能", "带有{v}", "支持{v}"),
          ("安全功能：{v}。", "安全方面有{v}。", "{n}带有{v}。")),
        A("电源线长度", _pick("0.75米", "0.8米", "1米", "1.2米", "75厘米"),
          ("电源线长{v}", "配有{v}电源线", "线长{v}"),
          ("电源线长度：{v}。", "底座电源线为{v}。", "线长是{v}。"), 0.6),
        zh_weight(_num(0.7, 1.6, 0.1, "{}千克", "{}kg"), 0.6),
        zh_colour(),
    ),
))

_zh(Category(
    "skincare",
    ("保湿面霜", "精华液", "洁面啫喱", "晚霜", "修护乳液"),
    ("产品", "护肤品"),
    ("护肤品", "面部护理产品", "日常护肤单品"),
    (49, 699),
    (
        A(("净含量", "规格"), _pick("30毫升", "50毫升", "100毫升", "150毫升", "50ml", "200ml"),
          ("净含量为{v}", "规格为{v}", "容量{v}"),
          ("净含量：{v}。", "每瓶{v}。", "{n}的规格是{v}。"), 1.0),
        A("适用肤质", _pick("干性肌肤", "油性肌肤", "混合性肌肤", "敏感肌", "各类肤质", "中性至干性肌肤"),
          ("适用于{v}", "适合{v}使用", "面向{v}"),
          ("适用肤质：{v}。", "{n}面向{v}。", "标注适用肤质为{v}。")),
        A(("核心成分", "主要成分"), _some(("玻尿酸", "烟酰胺", "神经酰胺", "角鲨烷", "维生素C", "泛醇", "绿茶提取物", "积雪草",
                                         "甘油", "乳木果油", "尿囊素", "多肽"), 2, 3),
          ("含有{v}", "添加了{v}", "主要成分包括{v}"),
          ("核心成分：{v}。", "配方中含有{v}。", "成分表里有{v}。")),
        A("质地", _pick("轻盈啫喱", "丰润乳霜", "乳液", "水状精华", "泡沫", "膏状"),
          ("质地为{v}", "呈{v}质地", "属于{v}质地"),
          ("质地：{v}。", "{n}是{v}质地。", "上脸为{v}质地。")),
        A("香味", _pick("无香精", "淡香", "无香"),
          ("采用{v}配方", "为{v}型", "属于{v}款"),
          ("香味：{v}。", "配方为{v}。", "{n}标注为{v}。")),
        A("开封后保质期", _pick("6个月", "12个月", "18个月", "24个月"),
          ("开封后请在{v}内用完", "开封后保质期为{v}", "开封后可保存{v}"),
          ("开封后保质期：{v}。", "开封后建议{v}内用完。", "开封后可保存{v}。"), 0.6),
        A("使用时段", _pick("早晚", "夜间", "日间", "每日"),
          ("适合{v}使用", "建议{v}使用", "用于{v}护肤"),
          ("使用时段：{v}。", "建议{v}使用。", "{n}用于{v}护肤。"), 0.7),
    ),
))

_zh(Category(
    "bedding",
    ("被芯", "被子", "床上被芯", "加厚被子"),
    ("被子", "被芯"),
    ("被芯", "床上用品", "被子"),
    (199, 2999),
    (
        A(("尺寸", "规格"), _pick("150×200厘米", "180×220厘米", "200×230厘米", "220×240厘米", "200x230cm", "150x200cm"),
          ("尺寸为{v}", "规格{v}", "大小为{v}"),
          ("尺寸：{v}。", "{n}的尺寸是{v}。", "展开大小为{v}。"), 1.0),
        A(("填充物", "填充"), _pick("白鸭绒", "白鹅绒", "超细纤维", "桑蚕丝", "棉花", "七孔纤维"),
          ("填充{v}", "内填{v}", "填充物为{v}"),
          ("填充物：{v}。", "内部填充的是{v}。", "{n}内填{v}。")),
        A("填充重量", _num(0.8, 3.0, 0.1, "{}千克", "{}kg"),
          ("填充重量{v}", "填充量为{v}", "内含{v}填充物"),
          ("填充重量：{v}。", "填充物重{v}。", "内部填充量为{v}。"), 0.8),
        A(("面料", "外层面料"), _pick("全棉", "精梳棉", "超细纤维", "天丝", "涤纶", "磨毛棉"),
          ("面料为{v}", "外层使用{v}", "采用{v}面料"),
          ("面料：{v}。", "外层面料是{v}。", "{n}外层为{v}。")),
        A("适用季节", _pick("夏季", "春秋", "冬季", "四季"),
          ("适合{v}使用", "适用于{v}", "为{v}款"),
          ("适用季节：{v}。", "{n}适合{v}使用。", "季节：{v}。"), 0.7),
        A(("洗涤方式", "洗护"), _pick("40℃机洗", "干洗", "60℃机洗", "局部清洗"),
          ("支持{v}", "洗护方式为{v}", "可{v}"),
          ("洗护：{v}。", "清洗方式为{v}。", "洗涤建议：{v}。"), 0.6),
        zh_colour(0.5),
    ),
))

_zh(Category(
    "toys",
    ("积木套装", "拼装积木", "益智积木", "颗粒积木"),
    ("积木", "套装"),
    ("积木玩具", "拼装玩具", "积木套装"),
    (59, 1299),
    (
        A(("颗粒数", "零件数"), _int(120, 2400, 10),
          ("共有{v}个颗粒", "包含{v}块积木", "颗粒数为{v}"),
          ("颗粒数：{v}。", "盒内共有{v}个零件。", "{n}由{v}块积木组成。"), 1.0),
        A("适用年龄", _pick("3岁以上", "6岁以上", "8岁以上", "10岁以上", "12岁以上", "14+"),
          ("适合{v}儿童", "适用年龄为{v}", "建议{v}使用"),
          ("适用年龄：{v}。", "包装标注适用年龄为{v}。", "{n}适合{v}。")),
        A("材质", _pick("ABS塑料", "榉木", "再生塑料", "松木", "生物基塑料"),
          ("采用{v}", "材质为{v}", "由{v}制成"),
          ("材质：{v}。", "零件材质是{v}。", "{n}使用{v}制作。")),
        A("主题", _pick("城市", "太空", "城堡", "交通工具", "动物", "恐龙", "海洋", "农场", "铁路"),
          ("以{v}为主题", "属于{v}主题", "主题为{v}"),
          ("主题：{v}。", "这是一套{v}主题积木。", "{n}的主题是{v}。")),
        A(("拼装后尺寸", "成品尺寸"), _dims(((15, 60), (10, 40), (10, 45)), "{}×{}×{}厘米", "{}x{}x{}cm"),
          ("拼好后尺寸为{v}", "成品尺寸{v}", "完成后为{v}"),
          ("拼装后尺寸：{v}。", "拼好的模型为{v}。", "成品大小是{v}。"), 0.7),
        A("说明书", _pick("纸质说明书", "电子说明书", "纸质与电子说明书"),
          ("附带{v}", "配有{v}", "提供{v}"),
          ("说明书：{v}。", "拼装步骤见{v}。", "盒内附{v}。"), 0.6),
        A("拼法", _int(2, 5),
          ("可拼出{v}种造型", "支持{v}种拼法", "有{v}种玩法"),
          ("拼法：{v}种。", "同一套零件可拼{v}种造型。", "{n}支持{v}种拼法。"), 0.5),
    ),
))

_zh(Category(
    "standing_desks",
    ("电动升降桌", "升降桌", "站立办公桌", "电脑升降桌"),
    ("升降桌", "桌子"),
    ("电动升降桌", "站立办公桌", "家用办公桌"),
    (899, 4999),
    (
        A(("桌面尺寸", "台面尺寸"), _pick("100×60厘米", "120×60厘米", "140×70厘米", "160×80厘米", "180×80厘米", "120x60cm"),
          ("桌面尺寸为{v}", "台面大小{v}", "桌板为{v}"),
          ("桌面尺寸：{v}。", "台面大小是{v}。", "{n}的桌面为{v}。"), 1.0),
        A("升降范围", _pick("72-118厘米", "71-121厘米", "62-127厘米", "73-123厘米", "65-130cm"),
          ("升降范围为{v}", "高度可在{v}之间调节", "可调高度{v}"),
          ("升降范围：{v}。", "高度调节范围是{v}。", "{n}可在{v}之间升降。")),
        A("电机", _pick("单电机", "双电机"),
          ("采用{v}", "配备{v}", "为{v}驱动"),
          ("电机：{v}。", "升降由{v}驱动。", "{n}使用{v}。")),
        A(("承重", "最大承重"), _num(60, 160, 10, "{}千克", "{}kg"),
          ("最大承重{v}", "承重为{v}", "可承载{v}"),
          ("承重：{v}。", "桌架最大承重为{v}。", "标称承重{v}。")),
        A(("桌板材质", "台面材质"), _pick("刨花板", "竹木", "中密度纤维板", "实木橡木", "胡桃木饰面板"),
          ("桌板采用{v}", "台面材质为{v}", "使用{v}桌板"),
          ("桌板材质：{v}。", "台面是{v}。", "{n}的桌板为{v}。")),
        A("桌架颜色", _pick("黑色", "白色", "灰色", "银色"),
          ("桌腿为{v}", "框架颜色为{v}", "配{v}桌架"),
          ("桌架颜色：{v}。", "桌架是{v}。", "框架为{v}。")),
        A("记忆档位", _int(2, 4),
          ("支持{v}档高度记忆", "带{v}个记忆档位", "可存储{v}组高度"),
          ("记忆档位：{v}个。", "控制面板可保存{v}个高度。", "{n}支持{v}档记忆。"), 0.7),
        zh_weight(_num(18, 45, 1, "{}千克", "{}kg"), 0.6),
    ),
))

# ---- Apparel with the keys real catalogues use -------------------------------------------
# English listings name gender, colour, fit, pattern and sleeves; Chinese attribute sets (类型, 版型, 风格, 图案,
# 衣领型, 衣袖型, 裤长 …) are how Chinese fashion records are keyed. The house model learns to say each of these
# as its own role.

EN_GENDERS = ("Women", "Men", "Unisex", "Boys", "Girls")


def en_gender(prob: float = 0.95) -> Attr:
    return A("gender", _pick(*EN_GENDERS),
             ("is made for {v}", "is designed for {v}", "is cut for {v}"),
             ("It is made for {v}.", "This {n} is designed for {v}."), prob)


_en(Category(
    "shirts_and_tops",
    ("Shirt", "Casual Shirt", "Top", "T-shirt", "Kurta", "Sweatshirt"),
    ("shirt",), ("shirt",),
    (9, 89),
    (
        en_gender(),
        en_colour(0.95),
        A("fit", _pick("slim fit", "regular fit", "relaxed fit", "oversized fit", "boxy fit"),
          ("has {av}", "is cut in {av}", "comes in {av}"),
          ("Fit: {v}.", "The fit is {v}.", "It has {av}.")),
        A(("sleeves", "sleeve length"), _pick("long sleeves", "short sleeves", "three-quarter sleeves", "roll-up sleeves"),
          ("has {v}", "comes with {v}", "is made with {v}"),
          ("Sleeves: {v}.", "It has {v}.")),
        A(("neck", "collar"), _pick("round neck", "V-neck", "mandarin collar", "spread collar", "button-down collar", "hooded neck"),
          ("has {av}", "features {av}", "is finished with {av}"),
          ("Neck: {v}.", "It has {av}.")),
        A(("pattern", "print"), _pick("solid", "striped", "checked", "printed", "self-design", "colourblocked", "floral print"),
          ("has {av} pattern", "shows {av} pattern", "comes in {av} pattern"),
          ("Pattern: {v}.", "The pattern is {v}.")),
        A(("fabric", "material"), _pick("cotton", "pure cotton", "linen", "viscose rayon", "polyester", "cotton blend"),
          ("is made of {v}", "is made from {v}", "is cut from {v}"),
          ("Fabric: {v}.", "It is made of {v}.")),
        A("occasion", _pick("casual", "formal", "party", "ethnic", "sports"),
          ("suits {v} wear", "is meant for {v} wear", "is made for {v} wear"),
          ("Occasion: {v}.",), 0.5),
    ),
))

_en(Category(
    "bottoms",
    ("Jeans", "Trousers", "Joggers", "Shorts", "Chinos"),
    ("jeans",), ("jeans",),
    (15, 99),
    (
        en_gender(),
        en_colour(0.95),
        A("fit", _pick("slim fit", "skinny fit", "straight fit", "relaxed fit", "tapered fit", "regular fit"),
          ("has {av}", "is cut in {av}", "comes in {av}"),
          ("Fit: {v}.", "The fit is {v}.")),
        A("rise", _pick("mid-rise", "high-rise", "low-rise"),
          ("sits at {av} waist", "has {av} waist", "is cut with {av} waist"),
          ("Rise: {v}.", "The waist is {v}.")),
        A(("length", "leg length"), _pick("cropped", "ankle length", "full length"),
          ("is {v}", "comes {v}", "is cut {v}"),
          ("Length: {v}.",)),
        A(("fabric", "material"), _pick("denim", "stretch denim", "cotton", "cotton twill", "polyester"),
          ("is made of {v}", "is cut from {v}", "is made from {v}"),
          ("Fabric: {v}.", "It is made of {v}.")),
        A("closure", _pick("button and zip", "drawstring", "elasticated waistband"),
          ("fastens with {av}", "closes with {av}", "has {av} closure"),
          ("Closure: {v}.",), 0.6),
    ),
))

ZH_STYLES = ("简约", "休闲", "通勤", "街头", "复古", "文艺", "甜美", "百搭", "韩版", "学院")
ZH_PATTERNS = ("纯色", "条纹", "格子", "字母", "印花", "刺绣", "拼色", "碎花")


def zh_style(prob: float = 0.8) -> Attr:
    return A("风格", _pick(*ZH_STYLES), ("走{v}风格", "是{v}风格", "整体风格{v}"), ("风格：{v}。", "{n}的风格偏{v}。"), prob)


def zh_pattern(prob: float = 0.7) -> Attr:
    return A("图案", _pick(*ZH_PATTERNS), ("带有{v}图案", "饰以{v}图案", "采用{v}图案"), ("图案：{v}。", "{n}以{v}图案点缀。"), prob)


_zh(Category(
    "tops_zh",
    ("上衣", "衬衫", "T恤", "卫衣", "毛衣"),
    ("上衣",), ("上衣",),
    (39, 299),
    (
        A("版型", _pick("宽松", "修身", "直筒", "标准"), ("采用{v}版型", "版型{v}", "是{v}的版型"), ("版型：{v}。", "{n}为{v}版型。")),
        zh_style(),
        zh_pattern(),
        A("衣领型", _pick("圆领", "V领", "翻领", "立领", "连帽", "一字领", "娃娃领"),
          ("采用{v}设计", "配{v}", "领口为{v}"), ("领型：{v}。", "{n}采用{v}设计。")),
        A("衣袖型", _pick("泡泡袖", "灯笼袖", "喇叭袖", "落肩袖", "常规袖"),
          ("搭配{v}", "采用{v}", "袖子为{v}"), ("袖型：{v}。",), 0.6),
        A("衣袖长", _pick("长袖", "短袖", "七分袖", "五分袖"), ("为{v}设计", "是{v}款", "采用{v}设计"), ("袖长：{v}。",), 0.6),
        A("材质", _pick("棉", "纯棉", "针织", "雪纺", "牛仔布", "羊毛"), ("采用{v}面料", "面料为{v}", "选用{v}材质"),
          ("材质：{v}。", "{n}的面料是{v}。")),
        zh_colour(0.7),
    ),
))

_zh(Category(
    "bottoms_zh",
    ("牛仔裤", "休闲裤", "阔腿裤", "直筒裤", "九分裤"),
    ("裤子",), ("裤子",),
    (49, 399),
    (
        A("版型", _pick("宽松", "修身", "直筒", "显瘦"), ("采用{v}版型", "版型{v}", "是{v}的版型"), ("版型：{v}。",)),
        zh_style(),
        zh_pattern(0.6),
        A("裤长", _pick("九分", "七分", "长款", "短款"), ("为{v}长度", "长度为{v}", "是{v}的长度"), ("长度：{v}。",)),
        A("裤型", _pick("阔腿", "直筒", "铅笔", "哈伦", "喇叭"), ("采用{v}设计", "是{v}款式", "选用{v}设计"), ("款式：{v}。",), 0.7),
        A("材质", _pick("牛仔布", "棉", "雪纺", "针织", "亚麻"), ("采用{v}面料", "面料为{v}", "选用{v}面料"), ("材质：{v}。",)),
        A("裤腰型", _pick("高腰", "中腰", "松紧腰"), ("是{v}设计", "采用{v}", "为{v}款"), ("腰型：{v}。",), 0.5),
        zh_colour(0.6),
    ),
))

# Synonym groups folded into the templates above: a pair of equivalent verbs
# doubles what a template can say without a new claim. Only leading verbs (EN)
# and a few safe verbs/copulas (ZH) are touched.
_EN_LEADING = (
    (r"^has (?=\{)", "[has|features] "),
    (r"^comes with ", "[comes with|ships with|includes] "),
    (r"^includes ", "[includes|comes with|adds] "),
    (r"^is made of ", "[is made of|is made from] "),
    (r"^is available in ", "[is available in|can be had in] "),
)
_ZH_SWAPS = (
    (r"采用", "[采用|选用|使用]"),
    (r"配有", "[配有|配备|带有]"),
    (r"(?<=[^\[|])为\{", "[为|是]{"),
    (r"^为\{", "[为|是]{"),
    (r"内置", "[内置|搭载]"),
    (r"适用于", "[适用于|适合]"),
    (r"^提供", "[提供|有]"),
)


def _augment(templates: tuple[str, ...], rules: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    out = []
    for template in templates:
        if "[" not in template:
            for pattern, repl in rules:
                template = re.sub(pattern, repl, template, count=1)
        out.append(template)
    return tuple(out)


def _augment_bank(bank: dict[str, Category], rules: tuple[tuple[str, str], ...]) -> None:
    for slug, cat in bank.items():
        attrs = tuple(replace(a, preds=_augment(a.preds, rules)) for a in cat.attrs)
        bank[slug] = replace(cat, attrs=attrs)


_augment_bank(EN_CATEGORIES, _EN_LEADING)
_augment_bank(ZH_CATEGORIES, _ZH_SWAPS)

CATEGORIES: dict[str, dict[str, Category]] = {"en-US": EN_CATEGORIES, "zh-CN": ZH_CATEGORIES}

# --------------------------------------------------------------------------
# Names, openers, closers
# --------------------------------------------------------------------------

EN_BRAND_HEADS = (
    "Nord", "Kest", "Ald", "Bram", "Cor", "Dun", "Ev", "Fal", "Glen", "Hal", "Ivo", "Jor", "Kal", "Lum",
    "Mar", "Nev", "Or", "Pell", "Quor", "Ros", "Sol", "Tarn", "Ul", "Vel", "Wren", "Yar", "Zef", "Aster",
    "Bel", "Cal", "Dray", "Fen", "Hav", "Lin", "Mo", "Ryn", "Sten", "Tor", "Vas", "Brek", "Ost", "Kel",
    "Tam", "Sev", "Ark", "Lo", "Ner", "Pax", "Riv", "Skal", "Thal", "Un", "Ves", "Wil", "Zan", "Hol",
    "Ember", "Fjell", "Grim", "Isa", "Jun", "Lark", "Mira", "Nox", "Oda", "Pim", "Rua", "Sela",
)
EN_BRAND_TAILS = (
    "vik", "ra", "on", "den", "ley", "ix", "mark", "wood", "ford", "a", "io", "lund", "ton", "by", "gard",
    "ex", "is", "ell", "en", "o", "stad", "holm", "ion", "lo", "ric", "well", "ant", "ova", "el", "um",
)
EN_SERIES = (
    "Breeze", "Summit", "Harbor", "Drift", "Ember", "Glacier", "Canyon", "Pulse", "Echo", "Aurora", "Tide",
    "Meadow", "Ridge", "Cove", "Nova", "Orbit", "Pine", "Quartz", "Ripple", "Sierra", "Terra", "Vale",
    "Willow", "Zephyr", "Atlas", "Birch", "Cedar", "Delta", "Fjord", "Grove", "Haven", "Iris", "Juniper",
    "Kite", "Lark", "Maple", "Nimbus", "Onyx", "Prism", "Quill", "Raven", "Sable", "Tundra", "Umber",
    "Vista", "Wave", "Yarrow", "Zenith", "Alder", "Basalt", "Comet", "Dune", "Flint", "Gale", "Heath",
    "Isle", "Jade", "Koa", "Lumen", "Mesa", "Nook", "Oak", "Pebble", "Reed", "Sparrow", "Thistle",
    "Vireo", "Wharf", "Arc", "Bay", "Cirrus", "Dawn", "Fable", "Glint", "Hollow", "Inlet", "Jet", "Knoll",
    "Loft", "Moss", "Nectar", "Opal", "Peak", "Rill", "Shore", "Trail", "Umbra", "Verge", "Wisp", "Yonder",
)
EN_MODEL_WORDS = ("Lite", "Air", "Plus", "Mini", "Pro", "One", "Go", "Flex")

ZH_BRAND_HEADS = tuple(
    "声悦云米青禾木森星月山川瑞嘉安然优品恒泰华宇晨曦若素朴简初拾远途野行知乐悠澜汐岚屿橙柚栗麦棉暖静雅致"
    "北南极朗逸宁和欣沐霁澄锦绘墨砚竹松柏桐枫槿荷芊芷蓝黛翠紫金铂锐迅驰骁凌峰岳岭溪泉湖湾舟帆鲸鹿狸熊鹤燕雀"
)
ZH_BRAND_TAILS = tuple("悦声动家品物居光影风语途屿禾森域派客舍元集作坊田野匠造研选良佳美适趣享味素本真朴序境界度格调彩音律")
ZH_SERIES_HEADS = tuple("青星晨暮云松竹岚汐澜霁雪霜溪沐朗清栖遥临望听觅驰跃逸境极山海风晴雨露虹霞烟岫岩沙川野原林泉湖浪潮月辰昊昕曜煦熙")
ZH_SERIES_TAILS = tuple("岚河曦光风影月川野屿原峰湾羽翼途旅境语舟帆林谷泉歌行吟梦想声音色纹序章篇卷心芯核锋甲衣")

EN_AUDIENCES = ("students", "commuters", "outdoor", "budget", "travel", "families", "office", "gifts", "beginners", "fitness")
ZH_AUDIENCES = ("学生", "通勤族", "户外爱好者", "预算有限", "旅行", "家庭", "办公", "送礼", "新手", "运动爱好者")

EN_OPENERS = (
    "The {name} from {brand} is {akind}.",
    "Meet the {title}, {akind} by {brand}.",
    "{brand} makes the {name}, {akind}.",
    "This listing is for the {title}.",
    "Introducing the {title} from {brand}.",
    "{brand} presents the {name}, {akind}.",
    "Here is the {name} by {brand}.",
    "The {name} is {akind} made by {brand}.",
    "From {brand} comes the {name}, {akind}.",
)
EN_AUDIENCE_OPENERS = {
    "students": ("For students, {brand} offers the {title}.", "Students looking for {akind} can consider the {title}."),
    "commuters": ("For the daily commute, there is the {title} from {brand}.", "Commuters can consider the {name}, {akind} by {brand}."),
    "outdoor": ("For time outdoors, {brand} offers the {title}.", "Outdoor users can look at the {name} from {brand}."),
    "budget": ("For shoppers on a budget, {brand} offers the {title}.", "On a budget, consider the {title}."),
    "travel": ("For travel, {brand} offers the {title}.", "Travellers can consider the {name}, {akind} from {brand}."),
    "families": ("For families, {brand} offers the {title}.", "Families looking for {akind} can consider the {title}."),
    "office": ("For office use, {brand} offers the {title}.", "Office workers can consider the {name} from {brand}."),
    "gifts": ("If you are looking for a gift, the {title} from {brand} is one option.", "As a gift idea, consider the {title}."),
    "beginners": ("For beginners, {brand} offers the {title}.", "First-time buyers can take a look at the {title}."),
    "fitness": ("For regular training, {brand} offers the {title}.", "Active users can consider the {name} from {brand}."),
}
EN_CLOSERS = (
    "Check the specifications before you order.",
    "Please check the details before ordering.",
    "Compare these figures with your needs before buying.",
    "All figures come from the product specifications.",
    "See the listed specifications for the full picture.",
)
EN_AUDIENCE_CLOSERS = {
    "students": ("It is listed with students in mind.", "Students are among its intended users."),
    "commuters": ("It is aimed at commuters.", "It is listed for commuting use."),
    "outdoor": ("It is aimed at outdoor use.", "It is listed for outdoor users."),
    "budget": ("It is listed as a budget option.", "It is positioned for budget shoppers."),
    "travel": ("It is aimed at travellers.", "It is listed for travel use."),
    "families": ("It is aimed at families.", "It is listed for family use."),
    "office": ("It is aimed at office use.", "It is listed for the office."),
    "gifts": ("It is listed as a gift idea.", "It is suggested as a gift."),
    "beginners": ("It is aimed at beginners.", "It is listed for first-time buyers."),
    "fitness": ("It is aimed at active users.", "It is listed for people who train regularly."),
}

ZH_OPENERS = (
    "{title}是{brand}推出的一款{kind}。",
    "这是来自{brand}的{name}{kind}。",
    "为您介绍{brand}{name}，一款{kind}。",
    "{brand}旗下的{name}是一款{kind}。",
    "本商品为{title}。",
    "{title}，由{brand}出品。",
    "来看看{brand}的{name}{n}。",
    "{brand}{name}属于{kind}类商品。",
)
ZH_AUDIENCE_OPENERS = {
    "学生": ("面向学生群体，{brand}推出了{title}。", "学生在选{kind}时，可以看看{title}。"),
    "通勤族": ("每天通勤的朋友，可以了解一下{title}。", "针对通勤场景，{brand}带来{name}{n}。"),
    "户外爱好者": ("喜欢户外活动的朋友，可以看看{title}。", "面向户外使用，{brand}推出{name}{n}。"),
    "预算有限": ("预算有限时，不妨考虑{title}。", "{brand}{name}是一款面向预算有限人群的{kind}。"),
    "旅行": ("出门旅行，可以考虑{brand}的{title}。", "面向旅行人群，{brand}推出{name}{n}。"),
    "家庭": ("为家庭用户准备的{kind}：{title}。", "家里需要一款{kind}的话，可以看看{title}。"),
    "办公": ("面向办公场景，{brand}推出{title}。", "办公室用户可以关注{brand}{name}{n}。"),
    "送礼": ("想挑一份礼物的话，{title}是一个选择。", "送礼时可以考虑{brand}的{name}{n}。"),
    "新手": ("刚入门的用户可以看看{title}。", "面向新手，{brand}推出{name}{n}。"),
    "运动爱好者": ("经常运动的朋友可以了解{title}。", "面向运动人群，{brand}带来{name}{n}。"),
}
ZH_CLOSERS = (
    "下单前请核对尺寸与参数。",
    "以上信息均来自商品规格。",
    "购买前请确认参数是否符合需求。",
    "请根据以上参数选择合适的款式。",
    "具体参数以商品规格为准。",
)
ZH_AUDIENCE_CLOSERS = {
    "学生": ("适合学生日常使用。", "学生群体可以考虑。"),
    "通勤族": ("适合通勤路上使用。", "通勤族可以考虑。"),
    "户外爱好者": ("面向户外爱好者。", "适合户外场景使用。"),
    "预算有限": ("面向预算有限的用户。", "适合预算有限时选择。"),
    "旅行": ("适合旅行时携带。", "旅行人群可以考虑。"),
    "家庭": ("适合家庭日常使用。", "面向家庭用户。"),
    "办公": ("适合办公场景使用。", "面向办公人群。"),
    "送礼": ("也可以作为礼物。", "适合作为礼物选择。"),
    "新手": ("面向入门用户。", "新手可以考虑。"),
    "运动爱好者": ("面向运动爱好者。", "适合经常运动的人群。"),
}

# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

def _article(phrase: str) -> str:
    word = phrase.split(" ", 1)[0]
    if re.match(r"^(?:uni|use|one|euro)", word, re.IGNORECASE):
        return "a"
    if re.match(r"^[0-9]", word):
        digits = re.match(r"^[0-9]+", word).group(0)
        return "an" if digits[0] == "8" or (digits[:2] in ("11", "18") and len(digits) in (2, 5)) else "a"
    if word.isupper() and len(word) > 1:
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    return "an" if word[:1].lower() in "aeiou" else "a"


def _fmt_number(value: float) -> str:
    if isinstance(value, bool):  # pragma: no cover - never generated
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _join_en(items: Sequence[str], r: random.Random) -> str:
    items = list(items)
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + r.choice((" and ", ", and ")) + items[-1]


def _join_zh(items: Sequence[str], r: random.Random) -> str:
    items = list(items)
    if len(items) == 1:
        return items[0]
    if r.random() < 0.5:
        return "、".join(items)
    return "、".join(items[:-1]) + r.choice(("和", "及")) + items[-1]


def _is_run(items: Sequence[str]) -> bool:
    if len(items) < 4 or not all(s.isdigit() for s in items):
        return False
    nums = [int(s) for s in items]
    return all(b - a == 1 for a, b in zip(nums, nums[1:]))


def render_value(value: Value, locale: str, r: random.Random) -> str:
    """Write an attribute value into prose, keeping numbers and units as given."""
    if isinstance(value, list):
        if _is_run(value) and r.random() < 0.6:
            return f"{value[0]} to {value[-1]}" if locale.startswith("en") else f"{value[0]}至{value[-1]}"
        return _join_en(value, r) if locale.startswith("en") else _join_zh(value, r)
    if isinstance(value, (int, float)):
        return _fmt_number(value)
    return str(value)


_ALT = re.compile(r"\[([^\[\]]*\|[^\[\]]*)\]")


def _expand(template: str, r: random.Random) -> str:
    """Pick one option from every ``[a|b|c]`` group in a template."""
    return _ALT.sub(lambda m: r.choice(m.group(1).split("|")), template)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class _Names:
    title: str
    brand: str
    name: str  # series + model
    noun: str
    kind: str


def _make_names(cat: Category, locale: str, r: random.Random) -> _Names:
    en = locale.startswith("en")
    roll = r.random()
    if roll < 0.3:
        model = ""
    elif roll < 0.5:
        model = str(r.randint(1, 9))
    elif roll < 0.7:
        model = str(10 * r.randint(1, 99))
    elif roll < 0.85:
        model = r.choice("SXKQTRVAMZ") + str(r.randint(1, 30))
    else:
        model = r.choice(EN_MODEL_WORDS)
    if en:
        brand = r.choice(EN_BRAND_HEADS) + r.choice(EN_BRAND_TAILS)
        series = r.choice(EN_SERIES)
        name = f"{series} {model}".strip()
        title = f"{brand} {name} {r.choice(cat.titles)}"
    else:
        brand = r.choice(ZH_BRAND_HEADS) + r.choice(ZH_BRAND_TAILS)
        if r.random() < 0.2:
            brand += r.choice(ZH_BRAND_TAILS)
        series = r.choice(ZH_SERIES_HEADS) + r.choice(ZH_SERIES_TAILS)
        name = f"{series}{model}"
        sep = r.choice((" ", " ", ""))
        line = r.choice((name, name, f"{series}系列{model}"))
        title = f"{brand}{sep}{line}{r.choice((' ', ''))}{r.choice(cat.titles)}"
    return _Names(title, brand, name, r.choice(cat.nouns), r.choice(cat.kinds))


def _fill(template: str, names: _Names, r: random.Random, **extra: str) -> str:
    akind = f"{_article(names.kind)} {names.kind}"
    return _expand(template, r).format(
        title=names.title, brand=names.brand, name=names.name, n=names.noun, kind=names.kind, akind=akind, **extra
    )


def _attr_sentence_parts(
    attr: Attr, key: str, value: Value, locale: str, names: _Names, r: random.Random
) -> tuple[str, str]:
    """(predicate, standalone sentence) for one attribute."""
    v = render_value(value, locale, r)
    av = f"{_article(v)} {v}" if locale.startswith("en") else v
    pred = _expand(r.choice(attr.preds), r).format(v=v, av=av, n=names.noun)
    label = key if not locale.startswith("en") else _cap(key)
    sents = list(attr.sents) + (["{label}[：|为|是]{v}。"] if not locale.startswith("en") else ["{label}[:| -] {v}."])
    sent = _expand(r.choice(sents), r).format(v=v, av=av, n=names.noun, label=label)
    return pred, _cap(sent) if locale.startswith("en") else sent


def _partition(items: list, groups: int, r: random.Random) -> list[list]:
    cuts = sorted(r.sample(range(1, len(items)), groups - 1)) if groups > 1 else []
    out, start = [], 0
    for cut in cuts + [len(items)]:
        out.append(items[start:cut])
        start = cut
    return out


def _describe(
    cat: Category, locale: str, names: _Names, attrs: list[tuple[Attr, str, Value]], audiences: list[str],
    r: random.Random, opener: bool, closer: bool,
) -> str:
    en = locale.startswith("en")
    # Which attributes to state: most of them, in a shuffled order.
    mentioned = [a for a in attrs if r.random() < 0.93]
    need = math.ceil(0.6 * len(attrs))
    if len(mentioned) < need:
        rest = [a for a in attrs if a not in mentioned]
        mentioned += r.sample(rest, need - len(mentioned))
    r.shuffle(mentioned)

    audience = r.choice(audiences) if audiences and r.random() < 0.7 else None
    sentences: list[str] = []
    if opener:
        if audience and r.random() < 0.5:
            pool = (EN_AUDIENCE_OPENERS if en else ZH_AUDIENCE_OPENERS)[audience]
        else:
            pool = EN_OPENERS if en else ZH_OPENERS
        sentences.append(_cap(_fill(r.choice(pool), names, r)))

    body_max = 5 - len(sentences) - (1 if closer else 0)
    # At least two sentences in all, at most four facts per sentence.
    low = max(1, math.ceil(len(mentioned) / 4), 2 - len(sentences) - (1 if closer else 0))
    groups = r.randint(low, max(low, min(body_max, len(mentioned), 4)))
    for gi, group in enumerate(_partition(mentioned, groups, r)):
        parts = []
        leads: set[str] = set()
        for a, k, v in group:
            # Re-pick a template a few times rather than repeat a leading verb.
            for _ in range(4):
                part = _attr_sentence_parts(a, k, v, locale, names, r)
                lead = part[0].split(" ", 1)[0] if en else part[0][:2]
                if lead not in leads:
                    break
            leads.add(lead)
            parts.append(part)
        first = gi == 0 and not opener
        if len(parts) == 1 and not first and r.random() < 0.4:
            sentences.append(parts[0][1])
            continue
        preds = [p for p, _ in parts]
        if en:
            if first:
                subject = _expand(r.choice((
                    "[The|This] {brand} {name}", "{brand}'s {name}", "[The|This] {name} from {brand}",
                    "[Made by|From] {brand}, the {name}",
                )), r)
            else:
                options = ["It", "It", "The {name}", "[This|The] {n}", "The {brand} {n}", "{brand}'s {name}",
                           "[As listed,|Per the spec sheet,|For reference,] [it|the {name}|this {n}]"]
                if gi > 0:
                    options.append("[Also,|In addition,|Beyond that,|On top of that,] [it|the {n}|the {name}]")
                subject = _expand(r.choice(options), r)
            subject = subject.format(title=names.title, brand=names.brand, name=names.name, n=names.noun)
            if len(preds) == 2 and r.random() < 0.25:
                body = f"{preds[0]}, and it {preds[1]}"
            else:
                body = _join_en(preds, r)
            sentences.append(_cap(f"{subject} {body}."))
        else:
            if first:
                subject = _expand(r.choice((
                    "{title}，", "{brand}{name}", "{brand}的{name}[{n}|]", "[这款|这一款|本款]{brand}{n}",
                    "{brand}[出品的|推出的|旗下]{name}[{n}|]，",
                )), r)
            else:
                options = ["[这款|此款|本款|该]{n}", "{name}", "{brand}{name}", "它", "{n}",
                           "[再看参数，|参数方面，|具体来说，][{name}|它|{n}|{brand}{name}|]"]
                if gi > 0:
                    options.append("[此外，|另外，|同时，][{name}|它|{n}|{brand}{name}|]")
                subject = _expand(r.choice(options), r)
            subject = subject.format(title=names.title, brand=names.brand, name=names.name, n=names.noun)
            if len(preds) >= 2 and r.random() < 0.35:
                body = "，".join(preds[:-1]) + _expand("[，同时|，并且|，另外|；|，而且|；此外|，此外]", r) + preds[-1]
            else:
                body = "，".join(preds)
            sentences.append(f"{subject}{body}。")
    if closer:
        if audience and r.random() < 0.6:
            pool = (EN_AUDIENCE_CLOSERS if en else ZH_AUDIENCE_CLOSERS)[audience]
        else:
            pool = EN_CLOSERS if en else ZH_CLOSERS
        sentences.append(_fill(r.choice(pool), names, r))
    return (" " if en else "").join(sentences)


def description_length(text: str, locale: str) -> int:
    """Words for English, characters (without spaces) for Chinese."""
    return len(text.split()) if locale.startswith("en") else len(re.sub(r"\s", "", text))


LENGTH_LIMITS = {"en": (25, 90), "zh": (40, 160)}


def _limits(locale: str) -> tuple[int, int]:
    return LENGTH_LIMITS["en" if locale.startswith("en") else "zh"]


def _make_pair(index: int, seed: int, locale: str, r: random.Random) -> dict[str, Any]:
    bank = CATEGORIES[locale]
    cat = bank[r.choice(sorted(bank))]
    names = _make_names(cat, locale, r)

    chosen: list[tuple[Attr, str, Value]] = []
    for attr in cat.attrs:
        if r.random() < attr.prob:
            value = attr.gen(r)
            key = r.choice(attr.keys)
            if key in ("colours",) and not isinstance(value, list):
                key = "colour"
            if isinstance(value, list) and key in ("colour", "color"):
                key = "colours"
            chosen.append((attr, key, value))
    # 4 to 9 attributes per product.
    while len(chosen) < 4:
        missing = [a for a in cat.attrs if a not in [c[0] for c in chosen]]
        attr = r.choice(missing)
        chosen.append((attr, r.choice(attr.keys), attr.gen(r)))
    if len(chosen) > 9:
        drop = set(r.sample(range(1, len(chosen)), len(chosen) - 9))
        chosen = [c for i, c in enumerate(chosen) if i not in drop]
    attributes = {key: value for _, key, value in chosen}

    audiences_pool = EN_AUDIENCES if locale.startswith("en") else ZH_AUDIENCES
    audiences = r.sample(audiences_pool, r.choice((0, 0, 1, 1, 2))) if r.random() < 0.6 else []
    lo, hi = cat.price
    if locale.startswith("en"):
        amount, currency = f"{r.randint(int(lo), int(hi))}.{r.choice(('99', '49', '00', '95'))}", "USD"
    else:
        amount, currency = f"{r.randint(int(lo), int(hi))}.00", "CNY"

    product: dict[str, Any] = {
        "product_id": f"pb-{locale[:2]}-{seed}-{index:05d}".replace("--", "-m"),
        "title": names.title,
        "category": cat.slug,
        "locale": locale,
        "brand": names.brand,
        "price": {"amount": amount, "currency": currency},
        "attributes": attributes,
    }
    if audiences:
        product["audiences"] = audiences

    # The product is called by its type as the house model's [type] slot holds it ("pair of jeans" for a
    # plural type), so a text names no product the record does not.
    noun = slots.product_type(Product.model_validate(product), locale)
    if noun:
        names.noun = names.kind = noun

    lo_len, hi_len = _limits(locale)
    opener = r.random() < 0.85
    closer = r.random() < (0.45 if locale.startswith("en") else 0.3)
    text = _describe(cat, locale, names, chosen, audiences, r, opener, closer)
    for _ in range(12):
        length = description_length(text, locale)
        if lo_len <= length <= hi_len:
            break
        if length > hi_len:
            # Too long: drop the closer, then the opener, then try again.
            if closer:
                closer = False
            elif opener:
                opener = False
        else:
            opener, closer = True, True
        text = _describe(cat, locale, names, chosen, audiences, r, opener, closer)
    else:  # pragma: no cover - the banks are sized so this does not happen
        raise RuntimeError(f"could not fit a description into {lo_len}-{hi_len} for {product['product_id']}")
    text = _one_type(text, noun, names, list(attributes.values()))
    # "name" is the series name the text uses for the product, so a trainer can
    # replace it by a placeholder as it does the title and the brand.
    return {"product": product, "description": text, "name": names.name}


def _one_type(text: str, noun: str, names: _Names, values: Sequence[Value]) -> str:
    """Every other product noun a template wrote ("headset" of headphones, 裙子 of a 连衣裙) said as the type,
    outside the title, brand, name and values, which stay as the shop wrote them (水状精华 is a texture)."""
    if not noun:
        return text
    written = [str(x) for v in values for x in (v if isinstance(v, list) else [v])]
    kept = [(m.start(), m.end()) for part in (names.title, names.brand, names.name, *written) if part
            for m in re.finditer(re.escape(part), text)]
    out, last = [], 0
    for start, end, form, _term in inventory().type_index.find(text):
        if form == noun or (has_cjk(form) and len(form) < 2) or any(a < end and start < b for a, b in kept):
            continue
        if start < last or text[max(0, end - len(noun)):end] == noun:
            continue  # inside the type itself (衣 of 上衣, dress of midi dress)
        out.append(text[last:start] + noun)
        last = end
    return "".join(out) + text[last:]


def generate_pairs(n: int, seed: int = 0, locales: tuple[str, ...] = LOCALES) -> list[dict]:
    """Return n pairs; each {"product": <dict valid as schemas.events.Product>, "description": str, "name": str}.

    Locales are taken in turn (pair i uses ``locales[i % len(locales)]``); the
    same ``(n, seed, locales)`` always gives the same pairs.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    unknown = [loc for loc in locales if loc not in CATEGORIES]
    if unknown or not locales:
        raise ValueError(f"unsupported locales {unknown or locales!r}; choose from {sorted(CATEGORIES)}")
    r = random.Random(seed)
    return [_make_pair(i, seed, locales[i % len(locales)], r) for i in range(n)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write phrase-bank training pairs as JSONL to stdout.")
    parser.add_argument("--n", type=int, default=1000, help="number of pairs (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--locales", default=",".join(LOCALES), help="comma-separated locales (default en-US,zh-CN)"
    )
    args = parser.parse_args(argv)
    locales = tuple(loc.strip() for loc in args.locales.split(",") if loc.strip())
    out = sys.stdout
    for pair in generate_pairs(args.n, seed=args.seed, locales=locales):
        out.write(json.dumps(pair, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
