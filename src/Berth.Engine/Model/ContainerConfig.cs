namespace Berth.Engine.Model;

// The Docker Engine API's container model (swagger: ContainerConfig, HostConfig, ContainerState,
// ContainerInspectResponse), with its JSON names: property names are the wire names, so the API
// service can serve these types as they are.

/// <summary>Config: what the container runs, portable across hosts (from the image and the run flags).</summary>
public sealed class ContainerConfig
{
    public string Hostname { get; set; } = "";
    public string Domainname { get; set; } = "";
    public string User { get; set; } = "";
    public bool AttachStdin { get; set; }
    public bool AttachStdout { get; set; }
    public bool AttachStderr { get; set; }
    public Dictionary<string, EmptyObject>? ExposedPorts { get; set; }
    public bool Tty { get; set; }
    public bool OpenStdin { get; set; }
    public bool StdinOnce { get; set; }
    public List<string>? Env { get; set; }
    public List<string>? Cmd { get; set; }
    public HealthConfig? Healthcheck { get; set; }
    public string Image { get; set; } = "";
    public Dictionary<string, EmptyObject>? Volumes { get; set; }
    public string WorkingDir { get; set; } = "";
    public List<string>? Entrypoint { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public string? StopSignal { get; set; }
    public int? StopTimeout { get; set; }
}

/// <summary>The `{}` values of ExposedPorts and Volumes maps.</summary>
public sealed class EmptyObject;

/// <summary>Healthcheck: Test is ["NONE"], ["CMD", args…] or ["CMD-SHELL", command]; durations in nanoseconds.</summary>
public sealed class HealthConfig
{
    public List<string>? Test { get; set; }
    public long Interval { get; set; }
    public long Timeout { get; set; }
    public long StartPeriod { get; set; }
    public long StartInterval { get; set; }
    public int Retries { get; set; }
}
