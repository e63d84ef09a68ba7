using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text;
using Berth.Cli.Engine;

namespace Berth.Cli.Containers;

/// <summary>
/// docker top CONTAINER [ps OPTIONS]: the host's `ps -ef` (or ps with the options given), only the
/// rows of the container's processes, under ps's own header. Everything after the container is
/// ps's ("top c -o pid,comm"), as docker reads it.
/// </summary>
public static class TopCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("CONTAINER");
        var psOptions = new Argument<string[]>("ps OPTIONS") { Arity = ArgumentArity.ZeroOrMore };
        var c = new Command("top", "Display the running processes of a container") { name, psOptions };
        c.TreatUnmatchedTokensAsErrors = false;
        c.SetAction(p => EngineCli.Guard(() =>
        {
            var (container, args) = ContainerAndPsArgs(p, c);
            var table = ContainerCli.Engine(p).Top(container, args);
            var text = new StringBuilder();
            WriteTable(text, table.Titles, table.Processes);
            Console.Out.Write(text.ToString());
            return 0;
        }));
        return c;
    }

    /// <summary>The container and, verbatim and in order, every token after it (options of ps included, which the parser cannot know).</summary>
    private static (string Container, List<string> PsArgs) ContainerAndPsArgs(ParseResult p, Command top)
    {
        var tokens = p.Tokens;
        int i = 0;
        while (i < tokens.Count && !(tokens[i].Type == TokenType.Command && tokens[i].Value == top.Name)) i++;
        for (i++; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Type == TokenType.Option) { i++; continue; }   // a global option (--root x) before the container
            if (t.Type == TokenType.DoubleDash) continue;
            break;
        }
        if (i >= tokens.Count) throw new ArgumentException("\"berth top\" requires at least 1 argument.");
        return (tokens[i].Value, tokens.Skip(i + 1).Select(t => t.Value).ToList());
    }

    /// <summary>Go's tabwriter as docker top sets it: cells padded by 3 to at least 20 columns, the last cell of a row as is.</summary>
    private static void WriteTable(StringBuilder output, IReadOnlyList<string> titles, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { titles };
        all.AddRange(rows);
        int columns = all.Max(r => r.Count);
        var widths = new int[columns];
        foreach (var row in all)
            for (int i = 0; i < row.Count - 1; i++) widths[i] = Math.Max(widths[i], Math.Max(20, row[i].Length + 3));
        foreach (var row in all)
        {
            for (int i = 0; i < row.Count; i++)
            {
                output.Append(row[i]);
                if (i < row.Count - 1) output.Append(' ', widths[i] - row[i].Length);
            }
            output.Append('\n');
        }
    }
}
