"""CLIP-format byte-level BPE: build a tiny vocabulary and encode with it.

The encoder below follows openai/CLIP's `SimpleTokenizer` (byte-to-unicode alphabet, `</w>` word
ends, merges applied lowest rank first) so that a tokenizer written from these files behaves the
same in Easel, in `transformers.CLIPTokenizer` and here. Only the text clean-up is simplified: our
captions are plain lowercase ASCII, so ftfy and the Unicode classes of CLIP's split pattern reduce
to the ASCII pattern below.
"""
import json
import os
import re

START_TOKEN = "<|startoftext|>"
END_TOKEN = "<|endoftext|>"
CONTEXT_LENGTH = 77

# CLIP's pattern with \p{L} -> [a-z] and \p{N} -> [0-9] (input is lowercased ASCII).
_SPLIT = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^\sa-z0-9]+""")


def bytes_to_unicode():
    """GPT-2/CLIP mapping of the 256 byte values to printable unicode characters."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, [chr(c) for c in codes]))


def _word_symbols(word):
    """A pre-token as CLIP starts it: one symbol per byte, the last one marked with </w>."""
    byte_map = bytes_to_unicode()
    chars = [byte_map[b] for b in word.encode("utf-8")]
    return chars[:-1] + [chars[-1] + "</w>"]


def learn_merges(words):
    """Classic BPE training on a word list until every word is a single symbol.

    Merging the most frequent pair everywhere, in order, is exactly what the rank-ordered encoder
    replays, so each training word comes back as one token (checked by `verify_single_tokens`).
    Ties break alphabetically so the result does not depend on set ordering.
    """
    segmented = {w: _word_symbols(w) for w in sorted(set(words))}
    merges = []
    while True:
        counts = {}
        for symbols in segmented.values():
            for pair in zip(symbols, symbols[1:]):
                counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            return merges
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        for w, symbols in segmented.items():
            segmented[w] = _apply_merge(symbols, best)


def _apply_merge(symbols, pair):
    out = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def build_vocab(merges):
    """CLIP's id order: bytes, bytes+</w>, one id per merge, then the two special tokens last."""
    base = list(bytes_to_unicode().values())
    tokens = base + [t + "</w>" for t in base] + ["".join(m) for m in merges] + [START_TOKEN, END_TOKEN]
    return {t: i for i, t in enumerate(tokens)}


class ClipBpe:
    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ranks = {tuple(m): i for i, m in enumerate(merges)}
        self.byte_map = bytes_to_unicode()
        self.start_id = vocab[START_TOKEN]
        self.end_id = vocab[END_TOKEN]

    @classmethod
    def load(cls, folder):
        with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [tuple(line.split()) for line in lines[1:] if line.strip()]
        return cls(vocab, merges)

    def bpe(self, word):
        symbols = _word_symbols(word)
        while len(symbols) > 1:
            pairs = set(zip(symbols, symbols[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            symbols = _apply_merge(symbols, best)
        return symbols

    def encode(self, text):
        """Token ids without start/end tokens."""
        text = " ".join(text.lower().split())
        ids = []
        for word in _SPLIT.findall(text):
            ids.extend(self.vocab[s] for s in self.bpe(word))
        return ids

    def encode_padded(self, text):
        """[start, tokens..., end, end...] of CONTEXT_LENGTH ids, padded with the end token as SD does."""
        ids = [self.start_id] + self.encode(text)[: CONTEXT_LENGTH - 2] + [self.end_id]
        return ids + [self.end_id] * (CONTEXT_LENGTH - len(ids))


def verify_single_tokens(tokenizer, words):
    for w in words:
        pieces = tokenizer.bpe(w)
        if len(pieces) != 1 or pieces[0] != w + "</w>":
            raise AssertionError(f"caption word {w!r} tokenizes to {pieces}, expected one token")


def write_tokenizer(folder, words):
    """Write vocab.json, merges.txt and the two configs; return a tokenizer loaded back from disk."""
    os.makedirs(folder, exist_ok=True)
    merges = learn_merges(words)
    vocab = build_vocab(merges)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    special = {
        "bos_token": START_TOKEN,
        "eos_token": END_TOKEN,
        "pad_token": END_TOKEN,
        "unk_token": END_TOKEN,
    }
    with open(os.path.join(folder, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump(special, f, indent=2)
    config = dict(special, tokenizer_class="CLIPTokenizer", model_max_length=CONTEXT_LENGTH,
                  do_lower_case=True, add_prefix_space=False, errors="replace")
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    tokenizer = ClipBpe.load(folder)
    verify_single_tokens(tokenizer, words)
    return tokenizer
