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
    public static string StepName(int step) => step switch
    {
        1 => "clone", 2 => "setns", 3 => "unshare time namespace", 4 => "write timens_offsets",
        5 => "wait for parent", 6 => "unshare cgroup namespace", 7 => "become root in user namespace",
        8 => "move file descriptors", 9 => "chdir to cwd", 10 => "setrlimit", 11 => "umask",
        12 => "setgroups", 13 => "setgid", 14 => "setuid", 15 => "drop bounding capabilities",
        16 => "capset", 17 => "raise ambient capabilities", 18 => "set no_new_privs",
        19 => "load seccomp filter", 20 => "send seccomp listener", 21 => "exec", 22 => "set up console",
        23 => "setsid", 24 => "personality", 25 => "close inherited file descriptors", _ => $"step {step}",
    };

    public const int STEP_EXEC = 21;

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
        public int UnshareCgroup;
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
