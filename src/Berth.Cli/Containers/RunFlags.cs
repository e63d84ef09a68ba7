using System.CommandLine;
using Berth.Engine.Containers;
using Berth.Engine.Options;

namespace Berth.Cli.Containers;

/// <summary>
/// The flags `create` and `run` share, as System.CommandLine options built from
/// <see cref="RunFlagTable"/>, and their reading into a <see cref="ContainerRequest"/>.
/// <para>
/// Every value flag is an <c>Option&lt;string[]&gt;</c>: System.CommandLine only collects the
/// occurrences; each value is then checked and converted by the engine's flag table, so that values
/// are read — and refused — with docker's rules and words whatever parses the command line.
/// </para>
/// <para>
/// Use: <c>var (flags, image, cmd) = RunFlags.Split(argsAfterVerb, command)</c>, parse
/// <c>flags</c> with the command, then <c>Read(parseResult, image, cmd)</c>. Both Split and Read
/// throw <see cref="FormatException"/> with docker's one-line message.
/// </para>
/// </summary>
public sealed class RunFlags
{
    private readonly (RunFlag Flag, Option Option)[] _options;

    public RunFlags()
    {
        _options = [.. RunFlagTable.All.Select(f => (f, Create(f)))];
    }

    private static Option Create(RunFlag flag)
    {
        string[] aliases = [.. flag.Spec.Names.Skip(1)];
        if (flag.IsBool) return new Option<bool>(flag.Name, aliases) { Description = flag.Description };
        return new Option<string[]>(flag.Name, aliases)
        {
            Description = flag.Description,
            HelpName = flag.ValueName,
            AllowMultipleArgumentsPerToken = false,
        };
    }

    public void AddTo(Command command)
    {
        foreach (var (_, option) in _options) command.Options.Add(option);
    }

    /// <summary>Config (Image = <paramref name="image"/>, Cmd = <paramref name="command"/> when not empty) and HostConfig from the given flags.</summary>
    public ContainerRequest Read(ParseResult p, string image, IReadOnlyList<string> command) => Collect(p).ToRequest(image, command);

    /// <summary>--platform as given, or null.</summary>
    public string? Platform(ParseResult p) => Collect(p).Platform;

    /// <summary>--pull: always, missing (the default) or never.</summary>
    public string PullPolicy(ParseResult p) => Collect(p).PullPolicy();

    /// <summary>The streams of -a (stdin, stdout, stderr), in order; empty when -a was not given.</summary>
    public IReadOnlyList<string> AttachStreams(ParseResult p) => Collect(p).AttachStreams();

    private RunOptions Collect(ParseResult p)
    {
        var options = new RunOptions();
        foreach (var (flag, option) in _options)
        {
            if (p.GetResult(option) is not { Implicit: false }) continue;
            if (option is Option<bool> b)
            {
                flag.Set(options, p.GetValue(b) ? "true" : "false");
                continue;
            }
            foreach (string value in p.GetValue((Option<string[]>)option) ?? []) flag.Set(options, value);
        }
        return options;
    }

    /// <summary>
    /// docker stops parsing flags at the first positional argument (the image): `run busybox ls -l`
    /// must not read -l as --label. Splits the tokens after the verb into (flag tokens, image,
    /// command) using which options take a value — <paramref name="command"/>'s own options first,
    /// then the recursive options of its parents (so -h is --hostname, not help). The flag tokens
    /// come back in a form System.CommandLine cannot misread ("--name=value", "--rm",
    /// "--entrypoint" ""); unknown flags fail as docker's do ("unknown flag: --foo").
    /// </summary>
    public static (string[] Flags, string? Image, string[] Command) Split(IReadOnlyList<string> args, Command command)
    {
        var specs = Specs(command);
        var split = FlagSplitter.Split(args, specs);
        return (split.ToTokens(specs), split.Image, [.. split.Command]);
    }

    private static List<FlagSpec> Specs(Command command)
    {
        var specs = new List<FlagSpec>();
        foreach (var option in command.Options) specs.Add(Spec(option));
        var seen = new HashSet<Symbol> { command };
        var pending = new Queue<Symbol>(command.Parents);
        while (pending.TryDequeue(out var parent))
        {
            if (!seen.Add(parent) || parent is not Command c) continue;
            foreach (var option in c.Options)
                if (option.Recursive) specs.Add(Spec(option));
            foreach (var grandparent in c.Parents) pending.Enqueue(grandparent);
        }
        return specs;
    }

    private static FlagSpec Spec(Option option) =>
        new([option.Name, .. option.Aliases], option.ValueType == typeof(bool) || option.Arity.MaximumNumberOfValues == 0);
}
