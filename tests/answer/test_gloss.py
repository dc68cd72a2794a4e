"""Cross-lingual glosses: English stems of Chinese words, from CC-CEDICT."""

from __future__ import annotations

import pytest

from qa.answer.gloss import Glossary, contains, question_terms, stem_words, stems_match

SENTENCES = [
    "移动电话用户普及率达到84%。",
    "中国联通西南数据中心投入使用。",
    "两地直联带宽达到9540GB。",
]


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary(SENTENCES)


def test_stem_words_lowercases_and_stems():
    assert stem_words("Registrations of Base Stations") == ["registr", "base", "station"]


def test_stem_words_drops_stopwords_short_words_and_gloss_noise():
    assert stem_words("it is a variant of sth, see also the 5G one") == []


def test_stem_words_deduplicates_in_order():
    assert stem_words("users user subscribers") == ["user", "subscrib"]


def test_stem_words_extra_noise():
    assert stem_words("How many subscribers", frozenset({"subscribers"})) == []


def test_question_terms_drop_question_words():
    assert question_terms("What is the number of mobile phone users in Chongqing city?") == [
        "mobil",
        "phone",
        "user",
    ]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("data", "data", True),
        ("regist", "registr", True),  # prefix, both long enough
        ("registr", "regist", True),  # symmetric
        ("stat", "station", True),  # four characters is enough
        ("use", "user", False),  # three is not
        ("abc", "abcd", False),
        ("subscrib", "subscript", False),  # not a prefix
    ],
)
def test_stems_match(a, b, expected):
    assert stems_match(a, b) is expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [("user", True), ("users", True), ("regist", True), ("use", False), ("penguin", False)],
)
def test_contains(term, expected):
    assert contains(frozenset({"user", "registr"}), term) is expected


def test_word_glossed_by_dictionary(glossary):
    stems = glossary.word_stems("用户")
    assert {"user", "subscrib"} <= stems


def test_word_missing_from_dictionary_glossed_through_its_parts(glossary):
    assert {"data", "center"} <= glossary.word_stems("数据中心")


def test_word_jieba_cannot_split_glossed_through_its_characters(glossary):
    # 直联 is neither in the dictionary nor split by jieba: 直 (straight) + 联 (join).
    assert {"straight", "join"} <= glossary.word_stems("直联")


def test_stems_of_a_sentence_include_its_words_glosses(glossary):
    assert {"user", "phone", "bandwidth"} <= glossary.stems(SENTENCES[0] + SENTENCES[2])


def test_stems_keep_the_texts_own_english(glossary):
    assert "network" in glossary.stems("5G network")


def test_stems_fold_traditional_characters(glossary):
    assert glossary.stems("數據中心") == glossary.stems("数据中心")


def test_coverage_all_terms(glossary):
    assert glossary.coverage(["user", "phone"], SENTENCES[0]) == 1.0


def test_coverage_no_terms_found(glossary):
    assert glossary.coverage(["penguin"], SENTENCES[0]) == 0.0


def test_coverage_without_terms_is_zero(glossary):
    assert glossary.coverage([], SENTENCES[0]) == 0.0


def test_coverage_is_a_share(glossary):
    assert 0.0 < glossary.coverage(["user", "bandwidth"], SENTENCES[0]) < 1.0


def test_coverage_weights_rare_terms_more(glossary):
    # "penguin" is in no sentence, so it weighs more than "user" (in one): missing it costs more.
    assert glossary.coverage(["user", "penguin"], SENTENCES[0]) < 0.5


def test_df_counts_sentences_with_the_stem(glossary):
    assert (glossary.df("user"), glossary.df("penguin")) == (1, 0)


def test_idf_higher_for_rarer_stems(glossary):
    assert glossary.idf("penguin") > glossary.idf("user")


def test_absent_lists_terms_not_glossed(glossary):
    assert glossary.absent(["user", "penguin", "subscrib"], SENTENCES[0]) == ["penguin"]


def test_glossary_and_lexicon_caches_die_with_them():
    """Per-instance memos: a reload's old glossary and lexicon are freed, not kept by a
    class-level lru_cache for the life of the process."""
    import gc
    import weakref

    from qa.answer.lexicon import Lexicon

    lexicon = Lexicon(SENTENCES)
    lexicon.df("用户")
    lexicon.glossary.stems(SENTENCES[0])
    lexicon.glossary.df("user")
    assert lexicon.df("用户") == lexicon.df("用户")
    refs = [weakref.ref(lexicon), weakref.ref(lexicon.glossary)]
    del lexicon
    gc.collect()
    assert [r() for r in refs] == [None, None]
