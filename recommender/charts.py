"""The dashboard's charts as PNG files (``manage.py charts OUT_DIR``): the seed's report figures, drawn with
matplotlib (wordcloud's own dependency) from the same aggregates as the page."""

from pathlib import Path
from typing import Any

from . import dashboard

FILES = (
    "genres.png", "wordcloud_genres.png", "ratings_by_genre_boxplot.png", "wordcloud_titles.png", "top10_five_star.png",
    "ratings_count_by_genre.png", "ratings_over_time.png", "ratings_per_user.png", "coverage.png",
)  # fmt: skip


def write_charts(out_dir: Path, data: dict[str, Any] | None = None) -> list[Path]:
    """Write every chart into ``out_dir`` (made if missing); returns the files written, in the page's order."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    data = data or dashboard.dashboard_data()
    written = []

    def save(fig, name: str) -> None:
        fig.tight_layout()
        fig.savefig(out_dir / name, dpi=110)
        plt.close(fig)
        written.append(out_dir / name)

    def bars(name, title, labels, values, xlabel, ylabel, *, horizontal=False, log=False) -> None:
        fig, ax = plt.subplots(figsize=(10, 5.5))
        positions = range(len(labels))  # labels as ticks: "1" or "2000-04" must not be read as numbers or dates
        if horizontal:
            ax.barh(positions, values[::-1], color="#15803d")
            ax.set_yticks(positions, labels[::-1])
        else:
            ax.bar(positions, values, color="#1d4ed8")
            ax.set_xticks(positions, labels)
            ax.tick_params(axis="x", labelrotation=45)
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
        if log:
            ax.set_yscale("log")
        ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
        save(fig, name)

    g = data["genres"]
    bars("genres.png", "Distribution of movie genres", g["labels"], g["values"], "genre", "movies")
    (out_dir / "wordcloud_genres.png").write_bytes(dashboard.render_wordcloud(dashboard.word_frequencies("genres")))
    written.append(out_dir / "wordcloud_genres.png")

    box = data["boxplot"]
    fig, ax = plt.subplots(figsize=(10, 5.5))
    stats = [
        {"label": label, "whislo": s["min"], "q1": s["q1"], "med": s["median"], "q3": s["q3"], "whishi": s["max"],
         "mean": s["mean"]}
        for label, s in zip(box["labels"], box["stats"], strict=True)
    ]  # fmt: skip
    if stats:
        ax.bxp(stats, showfliers=False, showmeans=True)
        ax.tick_params(axis="x", labelrotation=45)
    ax.set(title="Ratings by genre", xlabel="genre", ylabel="stars", ylim=(0.5, 5.5))
    save(fig, "ratings_by_genre_boxplot.png")

    (out_dir / "wordcloud_titles.png").write_bytes(dashboard.render_wordcloud(dashboard.word_frequencies("titles")))
    written.append(out_dir / "wordcloud_titles.png")

    top = data["top_five_star"]
    bars("top10_five_star.png", "Top 10 movies by number of 5-star ratings", [r["title"] for r in top],
         [r["count"] for r in top], "5-star ratings", "movie", horizontal=True)  # fmt: skip
    r = data["ratings_by_genre"]
    bars("ratings_count_by_genre.png", "Count of ratings by genre", r["labels"], r["values"], "genre", "ratings")

    t = data["over_time"]
    fig, ax = plt.subplots(figsize=(10, 5.5))
    ax.plot(range(len(t["labels"])), t["values"], marker="o", color="#1d4ed8")
    ax.set(title="Ratings over time", xlabel="month", ylabel="ratings")
    shown = range(0, len(t["labels"]), max(1, len(t["labels"]) // 12))
    ax.set_xticks(shown, [t["labels"][i] for i in shown])
    ax.tick_params(axis="x", labelrotation=45)
    save(fig, "ratings_over_time.png")

    u = data["per_user"]
    bars("ratings_per_user.png", "Ratings per user (log scale)", u["labels"], u["values"], "ratings by the user",
         "users (log scale)", log=True)  # fmt: skip

    c = data["coverage"]
    fig, ax = plt.subplots(figsize=(7, 6))
    if c.get("version"):
        ax.plot(c["lorenz"]["x"], c["lorenz"]["y"], color="#1d4ed8", label=f"version {c['version']}")
        title = f"Coverage: {c['distinct']} of {c['catalogue']} movies, Gini {c['gini']:.3f}"
    else:
        title = "Coverage: no version is served yet"
    ax.plot([0, 1], [0, 1], linestyle="--", color="#6b7280", label="every movie equally often")
    ax.set(title=title, xlabel="share of movies (least shown first)", ylabel="share of recommendations")
    ax.legend()
    save(fig, "coverage.png")
    return written
