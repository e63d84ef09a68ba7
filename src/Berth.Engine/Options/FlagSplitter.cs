namespace Berth.Engine.Options;

/// <summary>A flag as the splitter needs to know it: every spelling ("--hostname", "-h"; the first is the one emitted) and whether it stands alone.</summary>
public sealed record FlagSpec(IReadOnlyList<string> Names, bool IsBool)
{
    public string Name => Names[0];
}

/// <summary>Flags (canonical name, value; "true"/"false" for booleans), the image and its command.</summary>
public sealed record SplitArgs(IReadOnlyList<KeyValuePair<string, string>> Flags, string? Image, IReadOnlyList<string> Command)
{
    /// <summary>
    /// The flags as command-line tokens no parser can misread: "--name=value" (a value that looks
    /// like a flag, or contains ':' or '=', stays whole), "--name" "" for an empty value, "--bool"
    /// or "--bool=false".
    /// </summary>
    public string[] ToTokens(IReadOnlyList<FlagSpec> specs)
    {
        var tokens = new List<string>();
        foreach (var (name, value) in Flags)
        {
            bool isBool = specs.First(s => s.Name == name).IsBool;
            if (isBool) tokens.Add(value == "true" ? name : name + "=" + value);
            else if (value.Length == 0) tokens.AddRange([name, ""]);
            else tokens.Add(name + "=" + value);
        }
        return [.. tokens];
    }
}

/// <summary>
/// The docker CLI's reading of `run`/`create` arguments (pflag with interspersed arguments off):
/// flags end at the first argument that is not a flag — the image — and everything after it is the
/// command, flags included (`run busybox ls -l` runs `ls -l`). Understood forms: "--name value",
/// "--name=value", "-e value", "-evalue", "-e=value", bundled booleans ("-it", "-dit"), a bundle
/// ending in a value flag ("-itu root", "-itvX:/x"), "--bool=false", "-t=false", and "--" (the
/// next argument is the image, even if it starts with '-'). A lone "-" is an argument.
/// </summary>
public static class FlagSplitter
{
    public static SplitArgs Split(IReadOnlyList<string> args, IReadOnlyList<FlagSpec> specs)
    {
        var flags = new List<KeyValuePair<string, string>>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a == "--")
                return i + 1 < args.Count ? new(flags, args[i + 1], [.. args.Skip(i + 2)]) : new(flags, null, []);
            if (a.Length < 2 || a[0] != '-')
                return new(flags, a, [.. args.Skip(i + 1)]);

            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                int eq = a.IndexOf('=');
                string name = eq < 0 ? a : a[..eq];
                var spec = Find(specs, name) ?? throw new FormatException($"unknown flag: {name}");
                if (spec.IsBool)
                    flags.Add(new(spec.Name, eq < 0 ? "true" : Bool(a[(eq + 1)..], spec)));
                else if (eq >= 0)
                    flags.Add(new(spec.Name, a[(eq + 1)..]));
                else if (i + 1 < args.Count)
                    flags.Add(new(spec.Name, args[++i]));
                else
                    throw new FormatException($"flag needs an argument: {name}");
                continue;
            }

            // A bundle of short flags: booleans until the first flag that takes a value, which takes
            // the rest of the bundle or, if nothing is left, the next argument.
            for (int j = 1; j < a.Length; j++)
            {
                char c = a[j];
                var spec = Find(specs, "-" + c) ?? throw new FormatException($"unknown shorthand flag: '{c}' in {a}");
                bool attached = j + 1 < a.Length;
                if (attached && a[j + 1] == '=')
                {
                    string value = a[(j + 2)..];
                    flags.Add(new(spec.Name, spec.IsBool ? Bool(value, spec) : value));
                    break;
                }
                if (spec.IsBool)
                {
                    flags.Add(new(spec.Name, "true"));
                    continue;
                }
                if (attached) flags.Add(new(spec.Name, a[(j + 1)..]));
                else if (i + 1 < args.Count) flags.Add(new(spec.Name, args[++i]));
                else throw new FormatException($"flag needs an argument: '{c}' in {a}");
                break;
            }
        }
        return new(flags, null, []);
    }

    private static FlagSpec? Find(IReadOnlyList<FlagSpec> specs, string name)
    {
        foreach (var s in specs)
            if (s.Names.Contains(name)) return s;
        return null;
    }

    private static string Bool(string value, FlagSpec spec) =>
        GoText.ParseBoolOr(value, () => new FormatException(
            $"invalid argument {GoText.Quote(value)} for {GoText.Quote(Display(spec))} flag: strconv.ParseBool: parsing {GoText.Quote(value)}: invalid syntax"))
            ? "true" : "false";

    /// <summary>The flag's name as pflag's errors print it: "-m, --memory", or "--memory".</summary>
    internal static string Display(FlagSpec spec)
    {
        string? shortName = spec.Names.FirstOrDefault(n => n.Length == 2 && n[0] == '-' && n[1] != '-');
        string? longName = spec.Names.FirstOrDefault(n => n.StartsWith("--", StringComparison.Ordinal));
        return shortName is not null && longName is not null ? shortName + ", " + longName : longName ?? shortName ?? spec.Name;
    }
}
