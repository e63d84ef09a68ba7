using Berth.Engine.Model;

namespace Berth.Engine.Containers;

/// <summary>What `create`/`run` ask of the engine (the API's ContainerCreateRequest: Config + HostConfig + a name).</summary>
public sealed class ContainerRequest
{
    /// <summary>The image reference as the user gave it (Config.Image keeps it for ps and inspect).</summary>
    public required string Image { get; init; }
    public string? Name { get; init; }
    public ContainerConfig Config { get; init; } = new();
    public HostConfig HostConfig { get; init; } = new();
}
