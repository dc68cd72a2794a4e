"""Cutting an answer into claims: sentences, their markers, and what is not a sentence end."""

from __future__ import annotations

from qa.generate.claims import Claim, cites_of, split_claims, strip_markers, without_references


def test_each_marker_form_is_read():
    assert cites_of("a [1] b [2][3] c [4, 5] d 【6】 e ［7］ f [8，9] g [10-12]") == list(range(1, 13))
    assert cites_of("[2] then [1] then [2] again") == [2, 1]  # order of first mention, once each


def test_a_marker_after_the_end_punctuation_belongs_to_that_sentence():
    assert split_claims("Yes. The bandwidth is 9540GB. [1] Users grew to 422万户.【2】") == [
        Claim("Yes.", []),
        Claim("The bandwidth is 9540GB.", [1]),
        Claim("Users grew to 422万户.", [2]),
    ]
    assert split_claims("两地直联带宽达到9540GB。[1]用户数增长至422万户[2]。") == [
        Claim("两地直联带宽达到9540GB。", [1]),
        Claim("用户数增长至422万户。", [2]),
    ]


def test_a_decimal_point_does_not_end_a_sentence():
    assert split_claims("Users grew to 4.22 million [2]. Growth was 92-fold [2].") == [
        Claim("Users grew to 4.22 million.", [2]),
        Claim("Growth was 92-fold.", [2]),
    ]


def test_list_items_are_claims_and_their_numbers_are_not_figures():
    answer = "The report lists:\n1. Bandwidth of 9540GB [1]\n2、用户422万户[2]\n- Markers alone:\n[3]"
    assert split_claims(answer) == [
        Claim("The report lists:", []),
        Claim("Bandwidth of 9540GB", [1]),
        Claim("用户422万户", [2]),
        Claim("Markers alone:", [3]),  # a line of markers only: cited by the line before
    ]


def test_strip_markers_removes_markers_and_the_space_before_them():
    assert strip_markers("It is 9540GB [1][2]. Users: 422万户【2】。") == "It is 9540GB. Users: 422万户。"


def test_passages_named_in_words_lose_their_numbers():
    assert without_references("According to passage 2, it is 9540GB") == "According to , it is 9540GB"
    assert without_references("根据段落1和第3段,带宽为9540GB") == "根据和,带宽为9540GB"


def test_an_ellipsis_ends_one_sentence_not_three():
    assert split_claims("It grew... to 422万户 [2].") == [Claim("It grew...", []), Claim("to 422万户.", [2])]
