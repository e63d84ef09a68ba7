using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Seccomp;

namespace Berth.Runtime.Process;

/// <summary>Turns the OCI process (and the container's seccomp profile) into <see cref="FinalSettings"/>.</summary>
public static class ProcessSettings
{
    public static FinalSettings Build(Oci.Process p, LinuxSeccomp? seccomp, int consoleSocket, bool setsid,
        int seccompListenerSocket = -1, LinuxPersonality? personality = null, int preserveFds = 0)
    {
        var caps = p.Capabilities;
        SeccompProgram? program = seccomp is null ? null : SeccompCompiler.Compile(seccomp);
        return new FinalSettings
        {
            Cwd = string.IsNullOrEmpty(p.Cwd) ? "/" : p.Cwd,
            SetUser = true,
            Uid = p.User.Uid,
            Gid = p.User.Gid,
            Groups = (p.User.AdditionalGids ?? []).ToArray(),
            SetCaps = true,
            Bounding = Capabilities.Mask(caps?.Bounding ?? []),
            Effective = Capabilities.Mask(caps?.Effective ?? []),
            Permitted = Capabilities.Mask(caps?.Permitted ?? []),
            Inheritable = Capabilities.Mask(caps?.Inheritable ?? []),
            Ambient = Capabilities.Mask(caps?.Ambient ?? []),
            NoNewPrivileges = p.NoNewPrivileges,
            SeccompFilter = program?.ToBytes(),
            SeccompFlags = program?.Flags ?? 0,
            SeccompListenerSocket = seccompListenerSocket,
            Rlimits = (p.Rlimits ?? []).Select(r => (Rlimits.Parse(r.Type), r.Soft, r.Hard)).ToList(),
            Umask = p.User.Umask is { } m ? (int)m : -1,
            ConsoleSocket = consoleSocket,
            ConsoleRows = (ushort)(p.ConsoleSize?.Height ?? 0),
            ConsoleCols = (ushort)(p.ConsoleSize?.Width ?? 0),
            Setsid = setsid,
            Personality = ProcessScheduling.Personality(personality),
            CloexecFrom = 3 + preserveFds,
        };
    }

    /// <summary>
    /// Resolves args[0] against the PATH of the process's own environment, inside the root the
    /// caller sees now, as runc checks before it reports "created".
    /// </summary>
    public static string? LookPath(string file, IReadOnlyList<string>? env)
    {
        if (file.Contains('/'))
        {
            if (IsExecutable(file)) return file;
            // docker's wording, and its exit code 126: there, but cannot be run.
            if (Directory.Exists(file)) throw new RuntimeException($"exec: \"{file}\": is a directory");
            if (File.Exists(file)) throw new RuntimeException($"exec: \"{file}\": permission denied");
            return null;
        }
        string path = env?.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..]
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (string dir in path.Split(':'))
        {
            string candidate = Path.Combine(dir.Length == 0 ? "." : dir, file);
            if (IsExecutable(candidate)) return candidate;
        }
        return null;
    }

    private static bool IsExecutable(string path) => File.Exists(path) && Libc.access(path, Libc.X_OK) == 0;
}
