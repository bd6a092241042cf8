"""Near-duplicate folding measured on labelled cases: precision and recall of folded pairs."""

from __future__ import annotations

from itertools import combinations

import pytest

from watcher.digest.fold import THRESHOLD, near_duplicate_groups, shingles

# Each inner list is one piece of news as several outlets ran it (written for these tests).
# Lists differ in news, often about the same person on the same day: the hard negatives.
CLUSTERS: list[list[str]] = [
    [  # syndicated wire copy, lightly edited
        "OpenAI's Altman says new model will ship in March. Sam Altman told reporters on "
        "Tuesday that the company's next model would be released in March after safety testing.",
        "Altman says OpenAI's new model to ship in March. OpenAI chief executive Sam Altman told "
        "reporters on Tuesday that the company's next model would be released in March, after "
        "safety testing.",
        "OpenAI CEO Sam Altman: new model will ship in March — Sam Altman told reporters Tuesday "
        "that the company's next model will be released in March after safety testing.",
    ],
    [  # a different Altman story the same day (hard negative for the cluster above)
        "Sam Altman testifies before Senate panel on AI licensing. The OpenAI chief urged "
        "lawmakers to create a licensing agency for the most capable systems.",
        "Altman urges Senate to create AI licensing agency. Testifying before a Senate "
        "panel, OpenAI chief Sam Altman urged lawmakers to create a licensing agency for the most "
        "capable AI systems.",
    ],
    [
        "Jan Leike joins Anthropic to lead alignment team. Former OpenAI researcher Jan Leike "
        "said on Tuesday he had joined Anthropic, where he will lead a new alignment team.",
        "Jan Leike, who left OpenAI, joins Anthropic. Jan Leike said Tuesday he had joined "
        "Anthropic, where he will lead a new alignment team, weeks after leaving OpenAI.",
    ],
    [
        "Jan Leike criticises OpenAI safety culture in thread. In a series of posts, Leike said "
        "safety culture and processes had taken a back seat to shiny products.",
    ],
    [
        "Central bank holds interest rates steady at 5.25%. The central bank kept its key rate "
        "unchanged on Wednesday, citing persistent inflation in services.",
        "Interest rates held at 5.25% as central bank cites services inflation. The central bank "
        "left its key interest rate unchanged on Wednesday, pointing to persistent inflation in "
        "services.",
        "Rates unchanged: central bank keeps key rate at 5.25%. Policymakers kept the key rate "
        "steady on Wednesday, citing persistent services inflation.",
    ],
    [
        "Central bank governor to step down next year. The governor said on Wednesday she would "
        "not seek a second term when her mandate ends next year.",
    ],
    [
        "وزير الخارجية يصل إلى الرياض في زيارة رسمية. وصل وزير الخارجية إلى الرياض اليوم في زيارة "
        "رسمية يلتقي خلالها كبار المسؤولين لبحث العلاقات الثنائية.",
        "وزير الخارجية يصل الرياض في زيارة رسمية تستغرق يومين. وصل وزير الخارجية اليوم إلى الرياض "
        "في زيارة رسمية يلتقي خلالها عدداً من كبار المسؤولين لبحث العلاقات الثنائية.",
        "في زيارة رسمية.. وزير الخارجية يصل إلى الرياض. وصل وزير الخارجية إلى الرياض، اليوم، في "
        "زيارة رسمية يبحث خلالها العلاقات الثنائية مع كبار المسؤولين.",
    ],
    [
        "وزير الخارجية يدعو إلى وقف فوري لإطلاق النار. دعا وزير الخارجية في مؤتمر صحفي إلى وقف "
        "فوري لإطلاق النار وفتح الممرات الإنسانية.",
        "وزير الخارجية يطالب بوقف فوري لإطلاق النار وفتح ممرات إنسانية. طالب وزير الخارجية خلال "
        "مؤتمر صحفي بوقف فوري لإطلاق النار وفتح الممرات الإنسانية.",
    ],
    [
        "الأمين العام للأمم المتحدة يحذر من مجاعة وشيكة. حذر الأمين العام للأمم المتحدة من أن "
        "ملايين الأشخاص يواجهون خطر المجاعة خلال الأشهر المقبلة.",
    ],
    [
        "Ministry publishes report on water shortages. The long-awaited report on water "
        "shortages was published on Thursday and recommends rationing in three regions.",
        "Long-awaited water shortage report published. The ministry on Thursday published its "
        "long-awaited report on water shortages, which recommends rationing in three regions.",
    ],
    [
        "Ministry delays report on electricity prices again. The report on electricity prices, "
        "promised for June, has been delayed again, the ministry said on Thursday.",
    ],
    [
        "Breaking: earthquake of magnitude 6.1 strikes off the coast. No tsunami warning was "
        "issued after the quake struck 40 km off the coast at a depth of 10 km.",
        "Magnitude 6.1 earthquake strikes off coast; no tsunami warning. The quake struck 40 km "
        "off the coast at a depth of 10 km, and no tsunami warning was issued.",
    ],
]


def _pairs(groups: list[list[int]]) -> set[tuple[int, int]]:
    return {pair for group in groups for pair in combinations(sorted(group), 2)}


def measure(threshold: float) -> tuple[float, float]:
    texts = [text for cluster in CLUSTERS for text in cluster]
    truth: list[list[int]] = []
    for cluster in CLUSTERS:
        start = sum(len(group) for group in truth)
        truth.append(list(range(start, start + len(cluster))))
    expected = _pairs(truth)
    found = _pairs(near_duplicate_groups(texts, threshold=threshold))
    precision = len(found & expected) / len(found) if found else 1.0
    recall = len(found & expected) / len(expected)
    return precision, recall


def _jaccard(a: str, b: str) -> float:
    first, second = shingles(a), shingles(b)
    return len(first & second) / len(first | second)


def test_copies_are_far_more_similar_than_different_news_about_the_same_people() -> None:
    labelled = [(number, text) for number, cluster in enumerate(CLUSTERS) for text in cluster]
    same, different = [], []
    for (first, a), (second, b) in combinations(labelled, 2):
        (same if first == second else different).append(_jaccard(a, b))
    print(
        f"\n{len(same)} copy pairs: Jaccard min {min(same):.2f}, median {sorted(same)[len(same) // 2]:.2f}"
    )
    print(f"{len(different)} different pairs: Jaccard max {max(different):.2f}")
    assert max(different) < THRESHOLD - 0.15


def test_folding_is_precise_and_finds_most_copies_at_the_chosen_threshold() -> None:
    for threshold in (0.3, 0.35, 0.4, 0.5, 0.6):
        precision, recall = measure(threshold)
        print(f"threshold {threshold:.2f}: precision {precision:.2f} recall {recall:.2f}")
    precision, recall = measure(THRESHOLD)
    assert precision == 1.0
    assert recall >= 0.8


def test_each_group_keeps_input_order_so_the_first_is_the_most_important() -> None:
    texts = [CLUSTERS[0][2], CLUSTERS[1][0], CLUSTERS[0][0]]
    assert near_duplicate_groups(texts) == [[0, 2], [1]]


@pytest.mark.parametrize("text", ["", "Breaking", "عاجل"])
def test_short_texts_never_fold(text: str) -> None:
    assert near_duplicate_groups([text, text]) == [[0], [1]]


def test_look_alike_items_of_one_outlet_stay_apart() -> None:
    episode = (
        "Giant Bombcast Game of the Year 2017: Day Five Deliberations. This is it! On the fifth "
        "and final day we deliver our top ten list after hours of arguing about video games."
    )
    rerun = episode.replace("2017", "2016")
    assert near_duplicate_groups([episode, rerun], ["giantbomb", "giantbomb"]) == [[0], [1]]
    assert near_duplicate_groups([episode, episode], ["giantbomb", "mirror"]) == [[0, 1]]


def test_headlines_alone_fold_only_when_nearly_equal_with_the_same_numbers() -> None:
    part_two = "An Introduction to Q-Learning Part 2"
    texts = [part_two, part_two, "An Introduction to Q-Learning Part 1"]
    assert near_duplicate_groups(texts, ["a", "b", "b"]) == [[0, 1], [2]]
