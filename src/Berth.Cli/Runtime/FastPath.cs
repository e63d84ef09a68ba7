using Berth.Linux;
using Berth.Runtime;

namespace Berth.Cli.Runtime;

/// <summary>
/// The start path's verbs (create, start, run, delete, kill, state) read by hand when their
/// arguments are in the plain forms runc's callers use. Building System.CommandLine's command tree
/// costs about 2 ms of a 30 ms container start here (measured with BERTH_TRACE), paid by every
/// runtime invocation. Anything else (help, unknown or repeated flags, --opt=value forms, a value
/// that looks like a flag, extra arguments) goes to System.CommandLine, which also gives the errors,
/// so both paths accept the same command lines and run the same command bodies.
/// </summary>
public static class FastPath
{
    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
        int i = 0;
        string root = "/run/berth/runtime", logFormat = "text";
        string? log = null;
        bool debug = false, systemd = false;
        for (; i < args.Length && args[i].StartsWith('-'); i++)
        {
            switch (args[i])
            {
                case "--root" when Value(args, i, out root!): i++; break;
                case "--log" when Value(args, i, out log): i++; break;
                case "--log-format" when Value(args, i, out logFormat!) && logFormat is "text" or "json": i++; break;
                case "--debug": debug = true; break;
                case "--systemd-cgroup": systemd = true; break;
                default: return false;
            }
        }
        if (i >= args.Length) return false;
        string verb = args[i++];
        var globals = new RuntimeGuard.Globals(root, log, logFormat, debug, systemd);
        var rest = args.AsSpan(i);
        switch (verb)
        {
            case "create" or "run":
            {
                string bundle = ".";
                string? consoleSocket = null, pidFile = null, id = null;
                bool noPivot = false, detach = false, keep = false;
                int preserveFds = 0;
                for (int k = 0; k < rest.Length; k++)
                {
                    string a = rest[k];
                    switch (a)
                    {
                        case "--bundle" or "-b" when Value(rest, k, out bundle!): k++; break;
                        case "--console-socket" when Value(rest, k, out consoleSocket): k++; break;
                        case "--pid-file" when Value(rest, k, out pidFile): k++; break;
                        case "--preserve-fds" when Value(rest, k, out string? n) && int.TryParse(n, out preserveFds) && preserveFds >= 0: k++; break;
                        case "--no-pivot": noPivot = true; break;
                        case "--no-new-keyring": break;
                        case "--detach" or "-d" when verb == "run": detach = true; break;
                        case "--keep" when verb == "run": keep = true; break;
                        default:
                            if (a.StartsWith('-') || id is not null) return false;
                            id = a;
                            break;
                    }
                }
                if (id is null) return false;
                CreateOptions Options(int consoleFd) => new()
                {
                    Id = id, Bundle = bundle, ConsoleSocket = consoleSocket, PidFile = pidFile, NoPivot = noPivot,
                    PreserveFds = preserveFds, ConsoleSocketFd = consoleFd, ConsoleOnlyIfTerminal = consoleFd >= 0,
                };
                exitCode = verb == "create"
                    ? RuntimeGuard.Run(globals, verb, rest.ToArray(), rt => { rt.Create(Options(-1)); return 0; })
                    : RuntimeGuard.Run(globals, verb, rest.ToArray(), rt => RunCommand.Execute(rt, Options, consoleSocket is not null, detach, keep));
                return true;
            }
            case "start" when rest.Length == 1 && !rest[0].StartsWith('-'):
            {
                string id = rest[0];
                exitCode = RuntimeGuard.Run(globals, verb, [id], rt => { rt.Start(id); return 0; });
                return true;
            }
            case "delete":
            {
                bool force = false;
                string? id = null;
                foreach (string a in rest)
                {
                    if (a is "--force" or "-f") force = true;
                    else if (a.StartsWith('-') || id is not null) return false;
                    else id = a;
                }
                if (id is null) return false;
                exitCode = RuntimeGuard.Run(globals, verb, rest.ToArray(), rt => { rt.Delete(id, force); return 0; });
                return true;
            }
            case "kill":
            {
                bool all = false;
                var positional = new List<string>(2);
                foreach (string a in rest)
                {
                    if (a is "--all" or "-a") all = true;
                    else if (a.StartsWith('-') || positional.Count == 2) return false;
                    else positional.Add(a);
                }
                if (positional.Count == 0) return false;
                string id = positional[0], signal = positional.Count > 1 ? positional[1] : "SIGTERM";
                exitCode = RuntimeGuard.Run(globals, verb, rest.ToArray(), rt => { rt.Kill(id, Libc.ParseSignal(signal), all); return 0; });
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>The value after the flag at <paramref name="i"/>, if there is one that is not itself a flag.</summary>
    private static bool Value(ReadOnlySpan<string> args, int i, out string? value)
    {
        value = i + 1 < args.Length && !args[i + 1].StartsWith('-') ? args[i + 1] : null;
        return value is not null;
    }
}
