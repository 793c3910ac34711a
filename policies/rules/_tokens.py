"""Pulumi type tokens the rules read (the engine's names, as a policy sees them)."""

# AWS
AWS_PROVIDER = "pulumi:providers:aws"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_INSTANCE = "aws:ec2/instance:Instance"
PLACEMENT_GROUP = "aws:ec2/placementGroup:PlacementGroup"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
EBS_VOLUME = "aws:ebs/volume:Volume"
KMS_KEY = "aws:kms/key:Key"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_USER_POLICY = "aws:iam/userPolicy:UserPolicy"
IAM_GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
FSX_LUSTRE = "aws:fsx/lustreFileSystem:LustreFileSystem"
FSX_ONTAP = "aws:fsx/ontapFileSystem:OntapFileSystem"
FSX_OPENZFS = "aws:fsx/openZfsFileSystem:OpenZfsFileSystem"
FSX_WINDOWS = "aws:fsx/windowsFileSystem:WindowsFileSystem"
FSX_DRA = "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation"
EFS = "aws:efs/fileSystem:FileSystem"
EFS_BACKUP = "aws:efs/backupPolicy:BackupPolicy"

# Google Cloud
GCP_PROVIDER = "pulumi:providers:gcp"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
GCP_FIREWALL = "gcp:compute/firewall:Firewall"
FILESTORE = "gcp:filestore/instance:Instance"
GCP_LUSTRE = "gcp:lustre/instance:Instance"
PARALLELSTORE = "gcp:parallelstore/instance:Instance"
GCS_BUCKET = "gcp:storage/bucket:Bucket"
GCS_BUCKET_IAM_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
GCS_BUCKET_IAM_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
GCE_INSTANCE = "gcp:compute/instance:Instance"

# Kubernetes
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
HELM_CHART = "kubernetes:helm.sh/v4:Chart"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
#: Provider-side components: the engine shows analyzers no inputs of theirs.
REMOTE_COMPONENTS = (HELM_CHART, CONFIG_FILE)
POD = "kubernetes:core/v1:Pod"
WORKLOADS = (
    POD,
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
)
JOBSET = "kubernetes:jobset.x-k8s.io/v1alpha2:JobSet"
INFERENCE_SERVICE = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
TRAIN_JOB = "kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob"

#: Stateful file systems: protected, backed up, never replaced.
FILE_SYSTEMS = (
    FSX_LUSTRE,
    FSX_ONTAP,
    FSX_OPENZFS,
    FSX_WINDOWS,
    EFS,
    FILESTORE,
    GCP_LUSTRE,
    PARALLELSTORE,
)
