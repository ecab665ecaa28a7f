"""Tokens of the configuration language (bareoslab.config.lexer)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bareoslab.config import ConfigError
from bareoslab.config.lexer import Lexer, LexMode, Token, TokenKind

K = TokenKind


def tokens(text: str, mode: LexMode = LexMode.NORMAL, file: str = "t.conf") -> list[Token]:
    lexer = Lexer(file, text)
    out = []
    while True:
        token = lexer.next(mode)
        out.append(token)
        if token.kind is K.EOF:
            return out


def kinds_texts(text: str, mode: LexMode = LexMode.NORMAL) -> list[tuple[TokenKind, str]]:
    return [(t.kind, t.text) for t in tokens(text, mode) if t.kind is not K.EOF]


def test_lexer_directive_line() -> None:
    assert kinds_texts("Name = bareos-dir\n") == [
        (K.IDENT, "Name"),
        (K.EQUALS, "="),
        (K.STRING, "bareos-dir"),
        (K.EOL, ""),
    ]


def test_lexer_identifier_drops_blanks_and_keeps_raw() -> None:
    first = tokens("Maximum Concurrent Jobs = 10")[0]
    assert (first.kind, first.text, first.raw) == (
        K.IDENT,
        "MaximumConcurrentJobs",
        "Maximum Concurrent Jobs",
    )


def test_lexer_unquoted_multi_word_value_is_one_identifier() -> None:
    assert kinds_texts("Foo bar") == [(K.IDENT, "Foobar")]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("9101", K.NUMBER, "9101"),
        ("50G", K.STRING, "50G"),
        ("192.168.0.1", K.STRING, "192.168.0.1"),
        ("client1-fd", K.STRING, "client1-fd"),
        ("/var/lib/bareos", K.STRING, "/var/lib/bareos"),
        ("*all*", K.STRING, "*all*"),
        ("!skipped", K.STRING, "!skipped"),
        ("<@tmpdir@/file-list", K.STRING, "<@tmpdir@/file-list"),
    ],
)
def test_lexer_word_kinds(text: str, kind: TokenKind, value: str) -> None:
    assert kinds_texts(text) == [(kind, value)]


def test_lexer_semicolon_ends_directive_and_comments_are_skipped() -> None:
    assert kinds_texts("A = 1; B = 2 # comment = x\n") == [
        (K.IDENT, "A"),
        (K.EQUALS, "="),
        (K.NUMBER, "1"),
        (K.EOL, ";"),
        (K.IDENT, "B"),
        (K.EQUALS, "="),
        (K.NUMBER, "2"),
        (K.EOL, ""),
    ]


def test_lexer_punctuation_ends_words() -> None:
    assert kinds_texts("Storage=File1,File2}") == [
        (K.IDENT, "Storage"),
        (K.EQUALS, "="),
        (K.STRING, "File1"),
        (K.COMMA, ","),
        (K.STRING, "File2"),
        (K.RBRACE, "}"),
    ]


def test_lexer_quoted_string_escapes_and_hash() -> None:
    assert kinds_texts(r'"a \"b\" \\ # not a comment"') == [(K.QUOTED, 'a "b" \\ # not a comment')]


def test_lexer_quoted_string_keeps_newlines_and_counts_lines() -> None:
    toks = tokens('"one\ntwo"\nX')
    assert toks[0].text == "one\ntwo"
    assert toks[0].line == 1
    assert toks[2].text == "X" and toks[2].line == 3


def test_lexer_quoted_string_continues_on_same_line() -> None:
    assert kinds_texts('"abc"  "def"') == [(K.QUOTED, "abcdef")]


def test_lexer_quoted_string_continues_on_next_line() -> None:
    toks = tokens('Command = "abc"\n    "def"\nNext')
    assert toks[2].text == "abcdef"
    assert toks[4].text == "Next" and toks[4].line == 3


def test_lexer_quoted_string_does_not_continue_after_other_text() -> None:
    texts = [t.text for t in tokens('"abc" x\n"def"')]
    assert texts[:2] == ["abc", "x"]
    assert "def" in texts


def test_lexer_unterminated_quote_reports_start_line() -> None:
    with pytest.raises(ConfigError) as err:
        tokens('A = 1\nB = "open\n\n')
    assert str(err.value) == "t.conf:2: unterminated quoted string"


def test_lexer_no_ident_mode_keeps_words_apart() -> None:
    assert kinds_texts("Full 1st sat at 21:00", LexMode.NO_IDENT) == [
        (K.STRING, "Full"),
        (K.STRING, "1st"),
        (K.STRING, "sat"),
        (K.STRING, "at"),
        (K.STRING, "21:00"),
    ]


def test_lexer_force_string_mode_reads_digits_as_string() -> None:
    assert kinds_texts("3des", LexMode.FORCE_STRING) == [(K.STRING, "3des")]


def test_lexer_utf8_bom_is_skipped() -> None:
    assert kinds_texts("\ufeffDirector {") == [(K.IDENT, "Director"), (K.LBRACE, "{")]


def test_lexer_utf16_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.conf"
    path.write_bytes("Director {}".encode("utf-16"))
    with pytest.raises(ConfigError, match="UTF-16"):
        Lexer(str(path))


def test_lexer_eof_token_carries_last_line() -> None:
    assert tokens("A\nB\n")[-1].line == 3


def test_lexer_include_reads_file_in_place(tmp_path: Path) -> None:
    (tmp_path / "inc.conf").write_text("Included = 1\n")
    main = tmp_path / "main.conf"
    main.write_text("Before = 1\n@inc.conf\nAfter = 2\n")
    lexer = Lexer(str(main))
    words = []
    while (tok := lexer.next()).kind is not K.EOF:
        if tok.kind is K.IDENT:
            words.append((tok.text, Path(tok.file).name, tok.line))
    assert words == [
        ("Before", "main.conf", 1),
        ("Included", "inc.conf", 1),
        ("After", "main.conf", 3),
    ]
    assert [Path(f).name for f in lexer.files] == ["main.conf", "inc.conf"]


def test_lexer_include_quoted_path_and_glob(tmp_path: Path) -> None:
    sub = tmp_path / "my dir"
    sub.mkdir()
    (sub / "b.conf").write_text("B\n")
    (sub / "a.conf").write_text("A\n")
    main = tmp_path / "main.conf"
    main.write_text(f'@"{sub}/*.conf"\n@{tmp_path}/nothing-*.conf\nC\n')
    words = [t.text for t in tokens(main.read_text(), file=str(main)) if t.kind is K.IDENT]
    assert words == ["A", "B", "C"]


def test_lexer_missing_include_is_reported_where_included(tmp_path: Path) -> None:
    main = tmp_path / "main.conf"
    with pytest.raises(ConfigError) as err:
        tokens("A\n\n@missing.conf\n", file=str(main))
    assert err.value.file == str(main) and err.value.line == 3
    assert "cannot open included config file" in err.value.reason


def test_lexer_include_command_is_refused() -> None:
    with pytest.raises(ConfigError, match="@\\|command includes are not supported: \\|cat x"):
        tokens('@|"cat x"\n')


def test_lexer_include_of_itself_stops(tmp_path: Path) -> None:
    main = tmp_path / "loop.conf"
    main.write_text("@loop.conf\n")
    with pytest.raises(ConfigError, match="nested deeper"):
        tokens(main.read_text(), file=str(main))
