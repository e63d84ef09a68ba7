using System.CommandLine;
using Berth.Runtime;

namespace Berth.Cli.Runtime;

/// <summary>`create [--bundle DIR] [--console-socket S] [--pid-file F] [--no-pivot] [--preserve-fds N] ID`</summary>
public static class CreateCommand
{
    public static readonly Option<string> Bundle = new("--bundle", "-b") { Description = "path to the bundle directory", DefaultValueFactory = _ => "." };
    public static readonly Option<string?> ConsoleSocket = new("--console-socket") { Description = "unix socket that receives the pty master" };
    public static readonly Option<string?> PidFile = new("--pid-file") { Description = "file to write the container's pid to" };
    public static readonly Option<bool> NoPivot = new("--no-pivot") { Description = "use chroot instead of pivot_root (unsafe)" };
    public static readonly Option<bool> NoNewKeyring = new("--no-new-keyring") { Description = "accepted for compatibility" };
    public static readonly Option<int> PreserveFds = new("--preserve-fds") { Description = "pass N more file descriptors (from 3) to the container" };
    public static readonly Argument<string> Id = new("container-id");

    public static Command Build()
    {
        var c = new Command("create", "create a container") { Bundle, ConsoleSocket, PidFile, NoPivot, NoNewKeyring, PreserveFds, Id };
        c.SetAction(p => RuntimeCli.Guard(p, rt =>
        {
            rt.Create(Options(p));
            return 0;
        }));
        return c;
    }

    public static CreateOptions Options(ParseResult p, int consoleFd = -1) => new()
    {
        Id = p.GetValue(Id)!,
        Bundle = p.GetValue(Bundle)!,
        ConsoleSocket = p.GetValue(ConsoleSocket),
        PidFile = p.GetValue(PidFile),
        NoPivot = p.GetValue(NoPivot),
        PreserveFds = p.GetValue(PreserveFds),
        ConsoleSocketFd = consoleFd,
        ConsoleOnlyIfTerminal = consoleFd >= 0,
    };
}
