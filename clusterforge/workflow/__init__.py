"""The team workflow: stack templates (`new`), `diff` for PR review, generated CI pipelines and
Pulumi Kubernetes Operator objects (`ci`), and `preflight` against the cloud before `up`."""
