"""Reports: one model (``model.Report``), pure renderers per format."""

from clusterforge.report.model import Report, plan_document

FORMATS = ("text", "json", "markdown")


def render(report: Report, fmt: str, *, color: bool = False, width: int | None = None) -> str:
    """Render ``report`` as ``fmt`` (text, json or markdown)."""
    if fmt == "json":
        from clusterforge.report.jsonfmt import render_json

        return render_json(report)
    if fmt == "markdown":
        from clusterforge.report.markdown import render_markdown

        return render_markdown(report)
    from clusterforge.report.text import render_text

    return render_text(report, color=color, width=width)


__all__ = ["FORMATS", "Report", "plan_document", "render"]
