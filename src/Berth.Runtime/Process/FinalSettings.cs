using Berth.Linux;

namespace Berth.Runtime.Process;

/// <summary>
/// The last steps before the container's program runs, in the form spawn.c's berth_final_exec
/// applies them on one thread: cwd, rlimits, umask, user and groups, capabilities,
/// no_new_privs, seccomp, console.
/// </summary>
public sealed class FinalSettings
{
    public string? Cwd { get; init; }
    public bool SetUser { get; init; }
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    /// <summary>null: leave the supplementary groups alone (setgroups is denied in some user namespaces).</summary>
    public uint[]? Groups { get; init; }
    public bool SetCaps { get; init; }
    public ulong Bounding { get; init; }
    public ulong Effective { get; init; }
    public ulong Permitted { get; init; }
    public ulong Inheritable { get; init; }
    public ulong Ambient { get; init; }
    public bool NoNewPrivileges { get; init; }
    public byte[]? SeccompFilter { get; init; }
    public uint SeccompFlags { get; init; }
    public int SeccompListenerSocket { get; init; } = -1;
    public IReadOnlyList<(int Resource, ulong Soft, ulong Hard)> Rlimits { get; init; } = [];
    public int Umask { get; init; } = -1;
    public int ConsoleSocket { get; init; } = -1;
    public ushort ConsoleRows { get; init; }
    public ushort ConsoleCols { get; init; }
    public bool Setsid { get; init; }
    /// <summary>personality(2) persona, or -1 to leave it.</summary>
    public int Personality { get; init; } = -1;
    /// <summary>File descriptors from this number up do not reach the program (3 + --preserve-fds); -1 leaves them.</summary>
    public int CloexecFrom { get; init; } = -1;

    internal unsafe BerthNative.Final* ToNative(NativeArena arena)
    {
        var rl = Rlimits.Select(r => new BerthNative.Rlimit { Resource = r.Resource, Soft = r.Soft, Hard = r.Hard }).ToArray();
        return arena.New(new BerthNative.Final
        {
            Cwd = arena.Utf8(Cwd),
            SetUser = SetUser ? 1 : 0,
            Uid = Uid,
            Gid = Gid,
            Groups = Groups is null ? null : arena.Array<uint>(Groups),
            NGroups = Groups?.Length ?? -1,
            SetCaps = SetCaps ? 1 : 0,
            LastCap = Capabilities.LastCap,
            CapBounding = Bounding,
            CapEffective = Effective,
            CapPermitted = Permitted,
            CapInheritable = Inheritable,
            CapAmbient = Ambient,
            NoNewPrivs = NoNewPrivileges ? 1 : 0,
            Seccomp = SeccompFilter is null ? null : arena.Array<byte>(SeccompFilter),
            SeccompLen = SeccompFilter is null ? 0 : SeccompFilter.Length / 8,
            SeccompFlags = SeccompFlags,
            SeccompListenerSocket = SeccompListenerSocket,
            Rlimits = arena.Array<BerthNative.Rlimit>(rl),
            NRlimits = rl.Length,
            Umask = Umask,
            ConsoleSocket = ConsoleSocket,
            ConsoleRows = ConsoleRows,
            ConsoleCols = ConsoleCols,
            Setsid = Setsid ? 1 : 0,
            Personality = Personality,
            CloexecFrom = CloexecFrom,
        });
    }
}
