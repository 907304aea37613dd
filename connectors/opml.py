"""OPML, the feed-list exchange format: read the feed URLs out of one, write one."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from streams.core.errors import FeedError


class OpmlError(FeedError):
    """The file is not OPML we can read; the message names the file and the fault."""


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    title: str = ""


def read_opml(path: Path) -> list[OpmlFeed]:
    """Every outline with an xmlUrl, at any depth (folders are flattened), in file order."""
    try:
        root = SafeET.parse(path).getroot()
    except (ET.ParseError, DefusedXmlException) as exc:
        raise OpmlError(f"{path}: not valid XML: {exc}") from exc
    except OSError as exc:
        raise OpmlError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if root.tag.lower() != "opml":
        raise OpmlError(f"{path}: root element is <{root.tag}>, expected <opml>")
    feeds: dict[str, OpmlFeed] = {}
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url:
            title = outline.get("title") or outline.get("text") or ""
            feeds.setdefault(url, OpmlFeed(url, title))
    return list(feeds.values())


def write_opml(feeds: list[OpmlFeed], title: str = "newswatch feeds") -> str:
    """An OPML 2.0 document listing the feeds."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(opml, "body")
    for feed in feeds:
        ET.SubElement(
            body, "outline", type="rss", text=feed.title or feed.url, title=feed.title or feed.url,
            xmlUrl=feed.url,
        )
    ET.indent(opml)
    return ET.tostring(opml, encoding="unicode", xml_declaration=True) + "\n"
