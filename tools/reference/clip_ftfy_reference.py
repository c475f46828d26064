"""Reference token ids from CLIP's own text clean-up (ftfy.fix_text, then html.unescape twice, then
whitespace folding and lower-casing) and CLIP's byte-level BPE, for Easel's tokenizer tests.

Run with Debian's python3 (needs python3-regex) and a checkout of ftfy (its package folder on --ftfy-path):

    /usr/bin/python3 tools/reference/clip_ftfy_reference.py --ftfy-path /path/with/ftfy-and-wcwidth \
        --bpe ../shared/data/clip-bpe --prompts test/fixtures/tokenizer/prompts.json \
        --out test/fixtures/tokenizer/clip-ftfy-reference.json

With --entities-ts src-main/core/pipeline/text/html5-entities.ts it also writes the tables of Python's
html.unescape that Easel mirrors.
"""
import argparse
import html
import html.entities
import json
import sys


def byte_to_char():
    printable = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


class ClipBpe:
    def __init__(self, bpe_dir, regex):
        with open(f'{bpe_dir}/vocab.json', encoding='utf-8') as f:
            self.vocab = json.load(f)
        with open(f'{bpe_dir}/merges.txt', encoding='utf-8') as f:
            lines = f.read().split('\n')[1:]
        self.ranks = {tuple(line.split()): i for i, line in enumerate(l for l in lines if l.strip())}
        self.bytes = byte_to_char()
        self.regex = regex
        self.pattern = regex.compile(
            r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE,
        )

    def bpe(self, token):
        word = list(token[:-1]) + [token[-1] + '</w>']
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda pair: self.ranks.get(pair, float('inf')))
            if best not in self.ranks:
                break
            merged = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        return word

    def encode(self, text, fix_text):
        text = html.unescape(html.unescape(fix_text(text))).strip()
        text = self.regex.sub(r'\s+', ' ', text).strip().lower()
        ids = []
        for token in self.pattern.findall(text):
            mapped = ''.join(self.bytes[b] for b in token.encode('utf-8'))
            ids.extend(self.vocab[piece] for piece in self.bpe(mapped))
        return text, ids


def entities_module():
    lines = [
        '/**',
        " * The HTML5 named character references, exactly as Python's `html.entities.html5` holds them (with and without",
        " * the closing semicolon), plus the numeric references `html.unescape` rewrites or drops. Generated from CPython 3.11",
        ' * by tools/reference/clip_ftfy_reference.py --entities-ts; data, not code.',
        ' */',
        'export const HTML5_ENTITIES: Readonly<Record<string, string>> = {',
    ]
    lines += ['  %s: %s,' % (json.dumps(k), json.dumps(v)) for k, v in html.entities.html5.items()]
    lines += ['};', '', '/** Numeric references HTML5 maps to another character (the Windows-1252 C1 range, NUL, CR). */']
    lines += ['export const INVALID_CHARREFS: ReadonlyMap<number, string> = new Map([']
    lines += ['  [%d, %s],' % (k, json.dumps(v)) for k, v in html._invalid_charrefs.items()]
    lines += [']);', '', '/** Numeric references that decode to nothing (controls, non-characters). */']
    lines += ['export const INVALID_CODEPOINTS: ReadonlySet<number> = new Set([']
    points = sorted(html._invalid_codepoints)
    lines += ['  ' + ', '.join('0x%x' % c for c in points[i:i + 10]) + ',' for i in range(0, len(points), 10)]
    lines += [']);']
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--ftfy-path', required=True)
    parser.add_argument('--bpe', required=True)
    parser.add_argument('--prompts', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--entities-ts')
    args = parser.parse_args()
    sys.path.insert(0, args.ftfy_path)
    import ftfy
    import regex

    bpe = ClipBpe(args.bpe, regex)
    with open(args.prompts, encoding='utf-8') as f:
        prompts = json.load(f)
    cases = []
    for prompt in prompts:
        cleaned, ids = bpe.encode(prompt, ftfy.fix_text)
        cases.append({'prompt': prompt, 'cleaned': cleaned, 'ids': ids})
    with open(args.out, 'w', encoding='utf-8') as f:
        json.dump({'ftfy': ftfy.__version__, 'cases': cases}, f, ensure_ascii=True, indent=0)
        f.write('\n')
    if args.entities_ts:
        with open(args.entities_ts, 'w', encoding='utf-8') as f:
            f.write(entities_module())


if __name__ == '__main__':
    main()
