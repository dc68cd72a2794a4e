"""EM/F1 as the official CMRC 2018 and SQuAD v1.1 scripts compute them, containment and the
aggregates of ``qa eval --dataset``, on hand-checked cases (pure logic, fast)."""

from __future__ import annotations

import pytest

from qa.eval.external_metrics import (
    cmrc_em,
    cmrc_f1,
    contains_gold,
    em_f1,
    hit_at_k,
    judge,
    longest_common_substring,
    mixed_segmentation,
    normalize_answer,
    reference_language,
    squad_em,
    squad_f1,
    summarize,
)

# --- CMRC 2018 (Chinese, character level) ---------------------------------------------------


def test_mixed_segmentation_cuts_cjk_characters_and_keeps_words():
    assert mixed_segmentation("1943 年") == ["1943", "年"]
    assert mixed_segmentation("SI 磁通量") == ["si", "磁", "通", "量"]
    assert mixed_segmentation("《红楼梦》", rm_punc=True) == ["红", "楼", "梦"]
    assert mixed_segmentation("《红楼梦》") == ["《", "红", "楼", "梦", "》"]


def test_whitespace_does_not_change_a_chinese_answer():
    assert cmrc_em("1943年", "1943 年") == 1.0
    assert cmrc_f1("1943年", "1943 年") == 1.0


def test_listed_punctuation_is_removed():
    assert cmrc_em("《红楼梦》", "红楼梦") == 1.0
    assert cmrc_f1("《红楼梦》", "红楼梦") == 1.0
    assert cmrc_em("红楼梦", "红楼") == 0.0


def test_partial_chinese_f1_by_hand():
    # prediction 1943/年/1/月/7/日 (6 segments), reference 1943/年 (2): common run 2,
    # P = 2/6, R = 2/2, F1 = 2 * (1/3) * 1 / (1/3 + 1) = 0.5
    assert cmrc_f1("1943年1月7日", "1943年") == pytest.approx(0.5)
    assert cmrc_em("1943年1月7日", "1943年") == 0.0


def test_chinese_f1_uses_the_longest_common_substring_not_subsequence():
    # 北/京/大/学 vs 北/大: the longest contiguous run is 1 (a subsequence would be 2).
    # P = 1/4, R = 1/2, F1 = 2 * (1/8) / (3/4) = 1/3
    assert longest_common_substring(list("北京大学"), list("北大")) == 1
    assert cmrc_f1("北京大学", "北大") == pytest.approx(1 / 3)
    assert longest_common_substring(list("abcde"), list("xbcdx")) == 3
    assert cmrc_f1("完全不同", "毫无关系") == 0.0
    assert cmrc_f1("", "北京") == 0.0


# --- SQuAD v1.1 (English, tokens) -------------------------------------------------------------


def test_normalize_answer_as_squad():
    assert normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert normalize_answer("a cat, an owl and the dog") == "cat owl and dog"


def test_articles_do_not_count():
    assert squad_em("the Eiffel Tower", "Eiffel Tower") == 1.0
    assert squad_f1("the Eiffel Tower", "Eiffel Tower") == 1.0


def test_partial_english_f1_by_hand():
    # prediction tokens tall/eiffel/tower/in/paris (5), reference eiffel/tower (2): 2 shared,
    # P = 2/5, R = 1, F1 = 2 * 0.4 / 1.4 = 4/7
    assert squad_f1("the tall Eiffel Tower in Paris", "Eiffel Tower") == pytest.approx(4 / 7)
    assert squad_em("the tall Eiffel Tower in Paris", "Eiffel Tower") == 0.0


def test_english_f1_is_a_bag_of_tokens():
    assert squad_f1("Tower Eiffel", "Eiffel Tower") == 1.0
    assert squad_em("Tower Eiffel", "Eiffel Tower") == 0.0
    assert squad_f1("nothing shared", "Eiffel Tower") == 0.0


# --- choosing the script; best over references -------------------------------------------------


def test_the_reference_language_chooses_the_script():
    assert reference_language("北京", "en") == "zh"
    assert reference_language("1943", "zh") == "zh"  # no letters: the dataset's language
    assert reference_language("1943", "en") == "en"
    # "1943年" vs "1943": CMRC gives 1943/年 vs 1943, P 1/2, R 1, F1 2/3; SQuAD one token each, 0
    assert em_f1("1943年", ["1943"], "zh") == pytest.approx((0.0, 2 / 3))
    assert em_f1("1943年", ["1943"], "en") == (0.0, 0.0)


def test_best_over_references():
    assert em_f1("一九四三年", ["1943年", "一九四三年"], "zh") == (1.0, 1.0)
    # EM and F1 each take their own best: F1 0.5 from the first reference, EM 0 from both
    assert em_f1("1943年1月7日", ["1943年", "二月"], "zh") == pytest.approx((0.0, 0.5))


# --- containment -------------------------------------------------------------------------------


def test_contains_gold_folds_width_and_whitespace():
    assert contains_gold("特斯拉于1943年1月7日去世", ["1943 年"])
    assert contains_gold("特斯拉于 1943 年 1 月 7 日去世", ["1943年"])
    assert contains_gold("１９４３年", ["1943年"])  # NFKC: full-width digits
    assert not contains_gold("1944年", ["1943年"])
    assert not contains_gold("任何文字", [""])
    assert not contains_gold("任何文字", ["。"])


def test_contains_gold_does_not_require_the_references_end_punctuation():
    # CMRC references are often clauses with their final mark; quotes stop before it
    assert contains_gold("它的面积约为0.304平方公里", ["约为0.304平方公里。"])
    assert contains_gold("称为“疯狂科学家”代表", ["“疯狂科学家”"])
    assert not contains_gold("它的面积约为0.304平方公里", ["约为0.304平方公里。共"])


def test_hit_at_k_looks_at_the_top_k_only():
    passages = ["无关", "无关", "无关", "无关", "无关", "1943年"]
    assert not hit_at_k(passages, ["1943年"], 5)
    assert hit_at_k(passages, ["1943年"], 6)


# --- one answer, then aggregates ---------------------------------------------------------------


def _judge(found, answer="", short=None, quotes=(), answerable=True, latency=10.0):
    return judge(
        found=found,
        answer=answer,
        short_answer=short,
        quotes=list(quotes),
        references=["1943年"],
        answerable=answerable,
        default_language="zh",
        latency_ms=latency,
    )


def test_a_refusal_contains_nothing_and_scores_zero():
    v = _judge(False, answer="报告中没有提到1943年。", quotes=["1943年"])
    assert v.answer_contains_gold is False and v.quote_contains_gold is False
    assert (v.em, v.f1, v.short_em, v.short_f1, v.quote_f1) == (0.0, 0.0, None, None, 0.0)


def test_an_answer_with_a_short_answer():
    v = _judge(True, answer="1943年。原文:“他于1943年去世”[1]", short="1943年", quotes=["他于1943年去世"])
    assert v.answer_contains_gold and v.quote_contains_gold
    assert (v.short_em, v.short_f1, v.em, v.f1) == (1.0, 1.0, 1.0, 1.0)
    # the quote 他/于/1943/年/去/世 against 1943/年: P 2/6, R 1, F1 0.5
    assert v.quote_f1 == pytest.approx(0.5)


def test_an_out_of_corpus_question_has_no_gold_scores():
    v = _judge(True, answer="something", short="x")
    v_held = _judge(True, answer="something", short="x", answerable=False)
    assert v.em == 0.0 and v_held.em is None and v_held.answer_contains_gold is None


def test_summary_by_hand():
    verdicts = [
        _judge(False, latency=10),  # answerable, refused
        _judge(True, "1943年", short="1943年", quotes=["1943年"], latency=20),  # EM 1, F1 1
        _judge(True, "1943年1月7日", short="1943年1月7日", quotes=["1943年1月7日"], latency=30),  # F1 0.5
        _judge(True, "他去世了", quotes=["他去世了"], latency=40),  # found, no short answer, no gold
        _judge(False, answerable=False, latency=50),  # out of corpus, refused
        _judge(True, "x", answerable=False, latency=60),  # out of corpus, answered
    ]
    s = summarize(verdicts, [True, True, True, True, False, False])
    assert (s.answerable, s.held_out) == (4, 2)
    assert s.contains_gold == pytest.approx(2 / 4)
    assert s.quote_contains_gold == pytest.approx(2 / 4)
    assert s.false_refusal == pytest.approx(1 / 4)
    assert s.out_of_corpus_refused == pytest.approx(1 / 2)
    assert s.short_coverage == pytest.approx(2 / 4)
    assert s.short_em_given == pytest.approx(1 / 2)
    assert s.short_f1_given == pytest.approx((1.0 + 0.5) / 2)
    assert s.em == pytest.approx(1 / 4)
    assert s.f1 == pytest.approx((0 + 1.0 + 0.5 + 0) / 4)
    assert s.quote_f1 == pytest.approx((0 + 1.0 + 0.5 + 0) / 4)
    assert s.latency_p50_ms == pytest.approx(35.0)  # all six questions: 10..60
    assert s.latency_p95_ms == pytest.approx(57.5)


def test_summary_without_held_out_questions():
    s = summarize([_judge(True, "1943年", short="1943年", quotes=["1943年"])], [True])
    assert s.out_of_corpus_refused is None and s.held_out == 0
    assert summarize([], []).contains_gold is None
