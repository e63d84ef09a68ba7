using Berth.Engine.Events;
using Berth.Engine.Options;
using Berth.Engine.Volumes;

namespace Berth.Engine.Containers;

// The volume commands: create, rm and prune need to know the containers (and report events).
public sealed partial class ContainerEngine
{
    /// <summary>docker volume create: a named volume, or (no name) an anonymous one with a random name; an existing one is returned as it is.</summary>
    public Volume CreateVolume(string? name, IReadOnlyDictionary<string, string> labels, string driver)
    {
        bool existed = name is not null && Volumes.TryGet(name) is not null;
        var volume = Volumes.Create(name, labels, driver);
        if (!existed) VolumeEvent(volume.Name, "create");
        return volume;
    }

    /// <summary>Ids of the containers that mount a volume (docker names them so when it refuses a removal).</summary>
    public List<string> VolumeUserIds(string volume) =>
        List().Where(c => c.Mounts.Any(m => m.Type == "volume" && m.Name == volume)).Select(c => c.Id).ToList();

    /// <summary>docker volume rm: refused while a container uses it; with force a missing volume is no error.</summary>
    public void RemoveVolume(string name, bool force)
    {
        if (force && Volumes.TryGet(name) is null) return;
        Volumes.Remove(name, VolumeUserIds(name));
        VolumeEvent(name, "destroy");
    }

    /// <summary>docker volume prune (docker 23+): unused anonymous volumes, or with <paramref name="all"/> every unused one; label= filters.</summary>
    public PruneReport PruneVolumes(bool all, FilterFlags filters)
    {
        var used = List().SelectMany(c => c.Mounts).Where(m => m.Type == "volume" && m.Name is not null).Select(m => m.Name!).ToHashSet();
        var deleted = new List<string>();
        long reclaimed = 0;
        foreach (var v in Volumes.List())
        {
            if (used.Contains(v.Name) || !filters.MatchesLabels(v.Labels)) continue;
            if (!all && !v.Labels.ContainsKey(VolumeStore.AnonymousLabel)) continue;
            long size = TreeSize(v.Mountpoint);
            try { Volumes.Remove(v.Name, []); }
            catch (ArgumentException) { continue; }   // removed meanwhile
            VolumeEvent(v.Name, "destroy");
            deleted.Add(v.Name);
            reclaimed += size;
        }
        return new PruneReport(deleted, reclaimed);
    }

    private void VolumeEvent(string name, string action) => Events.Append(new EngineEvent
    {
        Type = "volume", Action = action,
        Actor = new EventActor { ID = name, Attributes = new() { ["driver"] = "local" } },
    });
}
