namespace Berth.Engine.Model;

/// <summary>State: Status is created, running, paused, restarting, removing, exited or dead; times RFC 3339.</summary>
public sealed class ContainerState
{
    public string Status { get; set; } = "created";
    public bool Running { get; set; }
    public bool Paused { get; set; }
    public bool Restarting { get; set; }
    public bool OOMKilled { get; set; }
    public bool Dead { get; set; }
    public int Pid { get; set; }
    public int ExitCode { get; set; }
    public string Error { get; set; } = "";
    public DateTime StartedAt { get; set; }
    public DateTime FinishedAt { get; set; }
    public Health? Health { get; set; }
}

/// <summary>Health: Status is starting, healthy or unhealthy.</summary>
public sealed class Health
{
    public string Status { get; set; } = "starting";
    public int FailingStreak { get; set; }
    public List<HealthcheckResult> Log { get; set; } = [];
}

public sealed class HealthcheckResult
{
    public DateTime Start { get; set; }
    public DateTime End { get; set; }
    public int ExitCode { get; set; }
    public string Output { get; set; } = "";
}
