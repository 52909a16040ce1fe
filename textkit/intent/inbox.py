"""The fallback inbox: what a chatbot couldn't answer, grouped so that its owner sees the
questions users keep asking (near-duplicates together) before the one-offs."""

from __future__ import annotations

import numpy as np

SIMILAR = 0.5  # cosine of the classifier's own features: a text joins the first group this close


def group(texts: list[str], classifier) -> list[list[int]]:
    """Indices of ``texts`` in groups of similar ones (greedy, in order: each text joins the
    first group whose first text is at least SIMILAR alike), the largest groups first."""
    if not texts:
        return []
    from sklearn.preprocessing import normalize

    rows = normalize(classifier.featurizer.transform(texts).to_scipy())
    leaders: list[int] = []
    groups: list[list[int]] = []
    for i in range(len(texts)):
        if leaders:
            sims = (rows[leaders] @ rows[i].T).toarray().ravel()
            best = int(np.argmax(sims))
            if sims[best] >= SIMILAR:
                groups[best].append(i)
                continue
        leaders.append(i)
        groups.append([i])
    return sorted(groups, key=len, reverse=True)
