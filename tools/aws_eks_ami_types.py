"""Print the EKS API's AMI types from botocore's bundled EKS service model (run by a developer
when botocore is upgraded; copy the list into clusterforge/catalog/data/aws/services.json
`eks_ami_types.values` with the botocore version as its source)."""

import json

import botocore
import botocore.session

model = botocore.session.get_session().get_service_model("eks")
print(json.dumps({"botocore": botocore.__version__, "values": model.shape_for("AMITypes").enum}))
