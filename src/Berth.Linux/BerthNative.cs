using System.Runtime.InteropServices;

namespace Berth.Linux;

/// <summary>
/// The C trampoline (native/spawn.c) linked into the NativeAOT binary: the clone→execve path
/// that must run no managed code. Struct layouts mirror spawn.c field by field.
/// </summary>
public static unsafe partial class BerthNative
{
    private const string Lib = "berth_native";

    /// <summary>The steps of spawn.c, for error messages (same numbers as its enum).</summary>
    public static string StepName(int step) => step >= 1 && step <= s_steps.Length ? s_steps[step - 1] : $"step {step}";

    private static readonly string[] s_steps =
    [
        "clone", "setns", "unshare time namespace", "write timens_offsets", "wait for parent", "become root in user namespace",
        "move file descriptors", "chdir to cwd", "setrlimit", "umask", "setgroups", "setgid",
        "setuid", "drop bounding capabilities", "capset", "raise ambient capabilities", "set no_new_privs", "load seccomp filter",
        "send seccomp listener", "exec", "set up console", "setsid", "personality", "close inherited file descriptors",
    ];

    public const int STEP_EXEC = 20;

    [StructLayout(LayoutKind.Sequential)]
    public struct Rlimit
    {
        public int Resource;
        public ulong Soft, Hard;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Final
    {
        public byte* Cwd;
        public int SetUser;
        public uint Uid, Gid;
        public uint* Groups;
        public int NGroups;
        public int SetCaps;
        public int LastCap;
        public ulong CapBounding, CapEffective, CapPermitted, CapInheritable, CapAmbient;
        public int NoNewPrivs;
        public void* Seccomp;
        public int SeccompLen;
        public uint SeccompFlags;
        public int SeccompListenerSocket;
        public Rlimit* Rlimits;
        public int NRlimits;
        public int Umask;
        public int ConsoleSocket;
        public ushort ConsoleRows, ConsoleCols;
        public int Setsid;
        public int Personality;
        public int CloexecFrom;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SpawnRequest
    {
        public byte* Path;
        public byte** Argv;
        public byte** Envp;
        public ulong CloneFlags;
        public int* JoinFds;
        public int JoinCount;
        public int UnshareTime;
        public byte* TimeOffsets;
        public int GoFd;
        public int BecomeRoot;
        public int* FdMap;
        public int FdMapCount;
        public Final* Final;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Report
    {
        public int Kind, A, B;
    }

    [LibraryImport(Lib, EntryPoint = "berth_spawn", SetLastError = true)]
    public static partial int berth_spawn(SpawnRequest* req, int* reportFd, int* step);

    [LibraryImport(Lib, EntryPoint = "berth_final_exec", SetLastError = true)]
    public static partial int berth_final_exec(Final* f, byte* path, byte** argv, byte** envp, int* step);

    [LibraryImport(Lib, EntryPoint = "berth_seccomp_listener", SetLastError = true)]
    public static partial int berth_seccomp_listener(byte* filter, int len, uint flags);

    [LibraryImport(Lib, EntryPoint = "berth_console", SetLastError = true)]
    public static partial int berth_console(int consoleSocket, ushort rows, ushort cols, int* step);
}
