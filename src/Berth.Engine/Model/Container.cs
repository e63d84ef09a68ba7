namespace Berth.Engine.Model;

/// <summary>
/// A container as stored (containers/ID/config.v2.json) and as `inspect` shows it: the API's
/// ContainerInspectResponse. The monitor owns State while it runs; every writer holds the container's lock.
/// </summary>
public sealed class Container
{
    public string Id { get; set; } = "";
    public DateTime Created { get; set; }
    public string Path { get; set; } = "";
    public List<string> Args { get; set; } = [];
    public ContainerState State { get; set; } = new();
    /// <summary>The image id (sha256:…).</summary>
    public string Image { get; set; } = "";
    public string ResolvConfPath { get; set; } = "";
    public string HostnamePath { get; set; } = "";
    public string HostsPath { get; set; } = "";
    public string LogPath { get; set; } = "";
    /// <summary>With docker's leading slash.</summary>
    public string Name { get; set; } = "";
    public int RestartCount { get; set; }
    public string Driver { get; set; } = "overlay2";
    public string Platform { get; set; } = "linux";
    public string MountLabel { get; set; } = "";
    public string ProcessLabel { get; set; } = "";
    public string AppArmorProfile { get; set; } = "";
    public List<string>? ExecIDs { get; set; }
    public HostConfig HostConfig { get; set; } = new();
    public GraphDriverData GraphDriver { get; set; } = new();
    public List<MountPoint> Mounts { get; set; } = [];
    public ContainerConfig Config { get; set; } = new();
    public NetworkSettings NetworkSettings { get; set; } = new();

    /// <summary>Berth's own: with --userns=auto, the host ids that the container's 0… map to.</summary>
    public IdRange? UsernsRange { get; set; }

    /// <summary>Set by stop/kill from the CLI: the restart policy does not apply to what the user stopped.</summary>
    public bool HasBeenManuallyStopped { get; set; }

    public string ShortId => Id[..12];
    public string PlainName => Name.TrimStart('/');
}

public sealed class IdRange
{
    public uint HostId { get; set; }
    public uint Size { get; set; }
}

public sealed class GraphDriverData
{
    public string Name { get; set; } = "overlay2";
    public Dictionary<string, string> Data { get; set; } = [];
}

/// <summary>A mount as inspect shows it: Type bind, volume or tmpfs.</summary>
public sealed class MountPoint
{
    public string Type { get; set; } = "";
    public string? Name { get; set; }
    public string Source { get; set; } = "";
    public string Destination { get; set; } = "";
    public string? Driver { get; set; }
    public string Mode { get; set; } = "";
    public bool RW { get; set; }
    public string Propagation { get; set; } = "";
}

public sealed class NetworkSettings
{
    public string SandboxKey { get; set; } = "";
    public Dictionary<string, EmptyObject> Ports { get; set; } = [];
    public Dictionary<string, EndpointSettings> Networks { get; set; } = [];
}

public sealed class EndpointSettings
{
    public string NetworkID { get; set; } = "";
    public string EndpointID { get; set; } = "";
    public string Gateway { get; set; } = "";
    public string IPAddress { get; set; } = "";
    public int IPPrefixLen { get; set; }
    public string MacAddress { get; set; } = "";
}
