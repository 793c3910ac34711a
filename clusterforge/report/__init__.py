"""Reports: one model (``model.Report``), pure renderers per format."""

from clusterforge.report.model import Report, plan_document

FORMATS = ("text", "json", "markdown")
#: `clusterforge check` also writes SARIF 2.1.0 for code-scanning tools.
CHECK_FORMATS = (*FORMATS, "sarif")


def render(
    report: Report,
    fmt: str,
    *,
    color: bool = False,
    width: int | None = None,
    command: str = "plan",
    verbose: bool = False,
) -> str:
    """Render ``report`` as ``fmt`` (text, json, markdown or sarif); ``command`` titles the Markdown.

    Every format shows secrets as ``[secret]``: finding texts go through
    :func:`clusterforge.secrets.redact_text` here, resource inputs were masked when the graph was
    built (Pulumi secrets by the offline engine, a plan document's inputs when it was read), and
    the JSON document is redacted as a whole.
    """
    report = _redacted(report)
    if fmt == "json":
        from clusterforge.report.jsonfmt import render_json

        return render_json(report)
    if fmt == "markdown":
        from clusterforge.report.markdown import render_markdown

        return render_markdown(report, command=command)
    if fmt == "sarif":
        from clusterforge.report.sarif import render_sarif

        return render_sarif(report)
    if command == "check":
        from clusterforge.report.checktext import render_check_text

        return render_check_text(report, color=color, width=width, verbose=verbose)
    if not color:  # rich's console is most of validate's start-up: only where it is needed
        from clusterforge.report.plaintext import WIDTH, render_plain

        text = render_plain(report, width or WIDTH)
        if text is not None:
            return text
    from clusterforge.report.text import render_text

    return render_text(report, color=color, width=width)


__all__ = ["CHECK_FORMATS", "FORMATS", "Report", "plan_document", "render"]


def _redacted(report: Report) -> Report:
    """``report`` with the credentials in its finding texts masked."""
    from dataclasses import replace

    from clusterforge.secrets import redact, redact_text

    findings = [
        replace(
            f,
            message=redact_text(f.message),
            hint=redact_text(f.hint),
            extra=redact(f.extra),
        )
        for f in report.findings
    ]
    return replace(report, findings=findings)
