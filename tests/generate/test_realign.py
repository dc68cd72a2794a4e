"""Re-pointing a figure's citation to the passage that states it, and nothing more."""

from __future__ import annotations

from qa.generate.guard import check_answer
from qa.generate.realign import cite, realign

PASSAGES = {
    1: "持续优化重庆、成都国家级互联网骨干直联点网络能力,两地直联带宽达到9540GB。",
    2: "全市累计建成5G行业虚拟专网1545个。",
}


def test_a_figure_cited_to_the_wrong_passage_is_re_pointed():
    answer = "The direct-link bandwidth is 9540GB [2]."
    assert not check_answer(answer, PASSAGES, "en").grounded
    fixed = realign(answer, PASSAGES, "en")
    assert fixed == "The direct-link bandwidth is 9540GB [1]."
    assert check_answer(fixed, PASSAGES, "en").grounded


def test_an_uncited_chinese_sentence_with_a_figure_gets_its_marker_before_the_full_stop():
    assert realign("两地直联带宽达到9540GB。", PASSAGES, "zh") == "两地直联带宽达到9540GB[1]。"


def test_each_sentence_is_re_pointed_on_its_own_and_a_right_one_is_left_as_it_is():
    answer = "带宽达到9540GB[2]。虚拟专网1545个[2]。"
    assert realign(answer, PASSAGES, "zh") == "带宽达到9540GB[1]。虚拟专网1545个[2]。"


def test_a_changed_figure_is_not_made_to_look_grounded():
    answer = "The direct-link bandwidth is 9450GB [1]."
    assert realign(answer, PASSAGES, "en") == answer
    assert not check_answer(answer, PASSAGES, "en").grounded


def test_a_sentence_without_a_figure_is_never_given_a_passage():
    answer = "Chongqing and Chengdu are linked."
    assert realign(answer, PASSAGES, "en") == answer


def test_cite_places_the_marker_as_the_prompts_ask():
    assert cite("It is 9540GB.", 1, "en") == "It is 9540GB [1]."
    assert cite("带宽9540GB", 2, "zh") == "带宽9540GB[2]"
