"""moto_server, with the request's resource ARN handed to moto's IAM check where moto omits it.

With INITIAL_NO_AUTH_ACTION_COUNT set, moto checks every request's action against the caller's
identity policies (moto/iam/access_control.py). For S3 it checks the action against the bucket or
object ARN, for sts:AssumeRole the role ARN; for every other service it checks the action against
the resource "*" (moto/core/responses.py call_action: `_determine_resource` exists only for IAM,
STS and SQS). A statement naming a real ARN never matches "*", so the stack's resource-scoped
statements (ACM certificates of this account and region, secrets and parameters under a prefix,
one listener, one event bus) would be refused while a statement with Resource "*" would allow anything.

This wrapper gives moto the ARN AWS authorizes each of the issuer's calls against, for exactly
the actions the stack grants (lib/constructs/perms.ts), and ecs:RunTask's task definition (what the
schedule's role, and anything else allowed to start the issuer, is granted); every other action
keeps moto's "*".

It also has moto verify an S3 request's signature over the request as it was sent. moto's server
rebuilds the URL through werkzeug, which decodes percent-escapes (prefix=renewal%2F becomes
prefix=renewal/), so every signed request with an escaped query or key (ListObjectsV2 with a
Prefix ending in "/") fails with SignatureDoesNotMatch, which AWS never answers to it.

And a refusal of a JSON-protocol service (ACM, Secrets Manager, SSM, KMS: the X-Amz-Target
ones) comes back in that protocol, as AWS sends it: {"__type": "AccessDeniedException",
"message": "User: ... is not authorized to perform: acm:ImportCertificate on resource: ..."}.
moto sends its query-protocol XML there, which the SDK cannot parse (a SyntaxError instead of
AccessDeniedException). Same codes for a bad key or signature (UnrecognizedClientException,
InvalidSignatureException).

And ECS tasks get the lifecycle ECS gives them, for the local task runner (task-runner.ts), which
plays the ECS agent: moto starts a task RUNNING, moves it towards STOPPED each time it is
described, and reports exitCode 0 for every container whatever happened. Here a task starts
PROVISIONING and stays there until the agent reports on it, through the agent's own API,
SubmitTaskStateChange (ECS has it; moto does not): RUNNING when the container starts, STOPPED with
each container's exit code (or its reason when it has none) when it ends, with the stopCode and
stoppedReason ECS sets ("EssentialContainerExited", "Essential container in task exited"). A
container has no exitCode until it stopped, as in ECS. StopTask records stopCode "UserInitiated"
and leaves a running task STOPPING until the agent reports it stopped.

Nothing here allows or answers a request: moto still decides and serves everything (the one
addition is SubmitTaskStateChange, which records what the runner reports and nothing else).

Without INITIAL_NO_AUTH_ACTION_COUNT moto checks no credentials and the IAM corrections above are
never reached; what applies either way is moto_acm_subject.py (ACM imports a certificate without a
subject CN, as AWS does: a current pebble's and Let's Encrypt's tlsserver and shortlived profiles)
and the ECS task lifecycle above.
"""

import json
import sys
import uuid
from datetime import datetime, timezone
from urllib.parse import urlparse

import moto

# What follows replaces private members of moto (openly: moto has no public hook for any of it),
# so it is only right for the version it was read from; scripts/local/install.sh installs exactly it.
MOTO_VERSION = "5.2.1"
if moto.__version__ != MOTO_VERSION:
    sys.exit(f"scripts/local/moto-server.py corrects moto {MOTO_VERSION}'s IAM checks, but moto {moto.__version__} is installed: run `just install` (it installs {MOTO_VERSION}), or re-read moto's source before moving the version")

import moto_acm_subject  # noqa: F401  (patches moto's ACM on import; this folder is on sys.path as the script's own)
from moto.acm.responses import AWSCertificateManagerResponse
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError
from moto.iam.access_control import IAMRequest
from moto.moto_api import state_manager
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import Container, EC2ContainerServiceBackend, Task
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.responses import ELBV2Response
from moto.events.responses import EventsHandler
from moto.secretsmanager.models import secretsmanager_backends
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.server import main
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.utilities.utils import get_partition


def _prefix(self) -> str:
    return f"arn:{get_partition(self.region)}"


def _acm(self) -> str:
    action = self._get_action()
    arn = self._get_param("CertificateArn")
    if arn:
        return arn
    if action == "ImportCertificate":
        # a first import: AWS authorizes against the ARN the new certificate gets
        return f"{_prefix(self)}:acm:{self.region}:{self.current_account}:certificate/{uuid.uuid4()}"
    return "*"  # ListCertificates and the like have no resource type


def _secret(self) -> str:
    action = self._get_action()
    if action not in ("CreateSecret", "DescribeSecret", "PutSecretValue", "GetSecretValue", "DeleteSecret"):
        return "*"
    secret_id = self._get_param("Name") if action == "CreateSecret" else self._get_param("SecretId")
    if not secret_id:
        return "*"
    if secret_id.startswith("arn:"):
        return secret_id
    secret = secretsmanager_backends[self.current_account][self.region].secrets.get(secret_id)
    if secret is not None:
        return secret.arn
    # a secret that does not exist yet: its ARN is the name and a random 6-character suffix
    return f"{_prefix(self)}:secretsmanager:{self.region}:{self.current_account}:secret:{secret_id}-{uuid.uuid4().hex[:6]}"


def _parameter(self) -> str:
    if self._get_action() not in ("PutParameter", "GetParameter", "DeleteParameter"):
        return "*"
    name = self._get_param("Name")
    if not name:
        return "*"
    path = name if name.startswith("/") else f"/{name}"
    return f"{_prefix(self)}:ssm:{self.region}:{self.current_account}:parameter{path}"


def _listener(self) -> str:
    if self._get_action() in ("AddListenerCertificates", "RemoveListenerCertificates"):
        return self._get_param("ListenerArn") or "*"
    return "*"  # Describe* has no resource type in IAM


def _event_bus(self) -> str:
    if self._get_action() != "PutEvents":
        return "*"
    entries = self._get_param("Entries") or []
    buses = {entry.get("EventBusName") or "default" for entry in entries}
    if len(buses) != 1:
        return "*"  # the issuer puts one event per call; several buses would need several checks
    bus = buses.pop()
    if bus.startswith("arn:"):
        return bus
    return f"{_prefix(self)}:events:{self.region}:{self.current_account}:event-bus/{bus}"


def _task_definition(self) -> str:
    # RunTask and StartTask are authorized against the task definition (ARN with its revision)
    if self._get_action() not in ("RunTask", "StartTask"):
        return "*"
    given = self._get_param("taskDefinition")
    if not given:
        return "*"
    try:
        return self.ecs_backend.describe_task_definition(given).arn
    except Exception:
        return "*"  # moto answers an unknown task definition itself


_authorize = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _authorize_as_sent(self, iam_request_cls, resource="*"):
    raw = getattr(getattr(self, "request", None), "environ", {}).get("RAW_URI")
    if not raw:
        return _authorize(self, iam_request_cls, resource)
    decoded = self.uri
    parsed = urlparse(decoded)
    self.uri = f"{parsed.scheme}://{parsed.netloc}{raw}"
    try:
        return _authorize(self, iam_request_cls, resource)
    finally:
        self.uri = decoded


ActionAuthenticatorMixin._authenticate_and_authorize_action = _authorize_as_sent


class _JsonRefusal(JsonRESTError):
    code = 400  # what AWS's JSON services answer a refused request with


def _json_protocol(request) -> bool:
    return "X-Amz-Target" in request._headers or "x-amz-target" in request._headers


_check = IAMRequest.check_action_permitted
_denied = IAMRequest._raise_access_denied
_invalid_key = IAMRequest._raise_invalid_access_key
_bad_signature = IAMRequest._raise_signature_does_not_match


def _check_remembering_resource(self, resource):
    self._resource = resource
    return _check(self, resource)


def _raise_access_denied(self):
    if not _json_protocol(self):
        return _denied(self)
    on = f" on resource: {self._resource}" if getattr(self, "_resource", "*") != "*" else ""
    raise _JsonRefusal(
        "AccessDeniedException",
        f"User: {self._access_key.arn} is not authorized to perform: {self._action}{on} because no identity-based policy allows the {self._action} action",
    )


def _raise_invalid_access_key(self, reason):
    if not _json_protocol(self):
        return _invalid_key(self, reason)
    raise _JsonRefusal("UnrecognizedClientException", "The security token included in the request is invalid.")


def _raise_signature_does_not_match(self):
    if not _json_protocol(self):
        return _bad_signature(self)
    raise _JsonRefusal("InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")


IAMRequest.check_action_permitted = _check_remembering_resource
IAMRequest._raise_access_denied = _raise_access_denied
IAMRequest._raise_invalid_access_key = _raise_invalid_access_key
IAMRequest._raise_signature_does_not_match = _raise_signature_does_not_match
AWSCertificateManagerResponse._determine_resource = _acm
SecretsManagerResponse._determine_resource = _secret
SimpleSystemManagerResponse._determine_resource = _parameter
ELBV2Response._determine_resource = _listener
EventsHandler._determine_resource = _event_bus
EC2ContainerServiceResponse._determine_resource = _task_definition


# ---- ECS tasks: the lifecycle the agent reports, not one that advances on every DescribeTasks

# moto's public state manager: a task's status never advances by being described.
state_manager.set_transition("ecs::task", {"progression": "manual", "times": sys.maxsize})

_task_init = Task.__init__
_container_init = Container.__init__
_stop_task = EC2ContainerServiceBackend.stop_task
_requirements = EC2ContainerServiceBackend._calculate_task_resource_requirements


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _task_provisioning(self, *args, **kwargs):
    _task_init(self, *args, **kwargs)
    self.last_status = "PROVISIONING"
    self.created_at = _now()
    self.stop_code = None
    self.started_at = None
    self.stopped_at = None
    self.execution_stopped_at = None


def _container_without_exit_code(self, task_def):
    _container_init(self, task_def)
    self.exitCode = None  # ECS reports one only once the container stopped
    self.reason = None


def _stop_task_user_initiated(self, cluster_str, task_str, reason):
    """StopTask as ECS does it: a running task is STOPPING until the agent reports its containers stopped."""
    was = next((t.last_status for t in self.describe_tasks(cluster_str, [task_str])), None)
    task = _stop_task(self, cluster_str, task_str, reason)
    if task.stop_code is None:
        task.stop_code = "UserInitiated"
    if was == "RUNNING":
        task.last_status = "STOPPING"
    else:
        task.stopped_at = task.execution_stopped_at = _now()
        for container in task.containers:
            container.last_status = "STOPPED"
    return task


def _submit_task_state_change(self):
    """The agent's report on a task (ecs:SubmitTaskStateChange): RUNNING, or STOPPED with exit codes."""
    cluster = self._get_param("cluster", "default")
    task_arn = self._get_param("task")
    status = self._get_param("status")
    if status not in ("RUNNING", "STOPPED"):
        raise InvalidParameterException(f"status must be RUNNING or STOPPED, not {status!r}")
    found = self.ecs_backend.describe_tasks(cluster, [task_arn])
    if len(found) != 1:
        raise InvalidParameterException(f"no task {task_arn!r} in cluster {cluster!r}")
    task = found[0]
    reports = {c.get("containerName"): c for c in self._get_param("containers", [])}
    now = _now()
    for container in task.containers:
        report = reports.get(container.name, {})
        container.last_status = report.get("status") or status
        if report.get("exitCode") is not None:
            container.exitCode = int(report["exitCode"])
        if report.get("reason"):
            container.reason = report["reason"]
    if status == "RUNNING":
        task.last_status = "RUNNING"
        task.started_at = now
    else:
        task.last_status = task.desired_status = "STOPPED"
        task.stopped_at = task.execution_stopped_at = now
        if task.stop_code is None:  # a StopTask before (UserInitiated) keeps its code and reason
            exited = any(c.exitCode is not None for c in task.containers)
            task.stop_code = "EssentialContainerExited" if exited else "TaskFailedToStart"
            task.stopped_reason = "Essential container in task exited" if exited else (self._get_param("reason") or "Task stopped")
    return json.dumps({"acknowledgment": "ACK"})


class _TaskLevelMemory:
    """A task definition whose containers leave memory to the task (Fargate allows it; CDK does it) counted as 0 each."""

    def __init__(self, task_definition):
        sized = ("memory", "memoryReservation", "Memory", "MemoryReservation")
        self.container_definitions = [c if any(c.get(k) is not None for k in sized) else {**c, "memory": 0} for c in task_definition.container_definitions]


def _requirements_with_task_level_memory(task_definition):
    # moto adds up each container's memory and fails (500) on a container that has none
    return _requirements(_TaskLevelMemory(task_definition))


Task.__init__ = _task_provisioning
Container.__init__ = _container_without_exit_code
EC2ContainerServiceBackend.stop_task = _stop_task_user_initiated
EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(_requirements_with_task_level_memory)
EC2ContainerServiceResponse.submit_task_state_change = _submit_task_state_change

if __name__ == "__main__":
    main(sys.argv[1:])
