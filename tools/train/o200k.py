"""o200k's tokenization in Python, for building and checking the bundled
model's vocabulary (a subset of o200k): the pre-tokenizer (o200k's regular
expression, with the `regex` module), the GGUF byte spelling, and byte-pair
merging as tiktoken does it (repeatedly merge the adjacent pair whose
concatenation has the lowest rank, leftmost first).

Tokens are GGUF strings: each byte spelled as one code point (GPT-2's
byte-to-unicode table). Ranks are o200k ids (0..199997)."""
import regex

# o200k_base's pre-tokenizer, as tiktoken defines it
PATTERN = regex.compile("|".join([
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"\p{N}{1,3}",
    r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
    r"\s*[\r\n]+",
    r"\s+(?!\S)",
    r"\s+",
]))


def _byte_spelling():
    """byte -> its one-character GGUF spelling: printable bytes as themselves, the rest from U+0100 on."""
    keep = [b for b in range(256) if 33 <= b <= 126 or 161 <= b <= 172 or b >= 174]
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE = _byte_spelling()


def spell(text):
    """A str's UTF-8 bytes in GGUF spelling."""
    return "".join(BYTE[b] for b in text.encode("utf-8"))


def chunks(text):
    """The pre-tokenizer's chunks of a str, in GGUF spelling."""
    return [spell(m) for m in PATTERN.findall(text)]


def merge(piece, rank):
    """Byte-pair merging of one chunk (GGUF spelling) with rank: {token: rank}.
    Returns (final tokens, every token made on the way, in order)."""
    parts, made = list(piece), []
    while len(parts) > 1:
        best, at = None, -1
        for i in range(len(parts) - 1):
            r = rank.get(parts[i] + parts[i + 1])
            if r is not None and (best is None or r < best):
                best, at = r, i
        if best is None:
            break
        parts[at:at + 2] = [parts[at] + parts[at + 1]]
        made.append(parts[at])
    return parts, made
