"""`clusterforge verify`: prove a pool's fabric after `up` with NCCL tests.

For every multi-node accelerator pool the stack declares, a JobSet runs nccl-tests'
``all_reduce_perf`` and ``alltoall_perf`` (Trainium: Neuron's ``nccom-test`` all_reduce and
alltoall) across the pool's nodes with the transport wired as the pool's fabric needs it (every
EFA device, the GPUDirect networks and sidecar, RDMA resources, Neuron devices);
the run's output is parsed, the transport NCCL chose is checked (a fall-back to ``Socket`` fails
even when the numbers look fine), the large-message bus bandwidth is compared with the catalog's
expected figure, and a failing pool is bisected into node pairs to name the slow node.

Modules: :mod:`.facts` (the catalog data: launchers and expected figures), :mod:`.nccl_output`
(the nccl-tests and NCCL_DEBUG parser), :mod:`.jobs` (pool → JobSet manifests, pure),
:mod:`.runner` (create, wait, logs, cleanup, bisect against a Kubernetes API), :mod:`.access`
(which cluster: --kubeconfig, the stack's kubeconfig output, the default), :mod:`.results`
(the outcome and its text / JSON / Markdown renderings).
"""
