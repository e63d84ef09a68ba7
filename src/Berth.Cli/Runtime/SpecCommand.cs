using System.CommandLine;
using Berth.Oci;
using Berth.Runtime;

namespace Berth.Cli.Runtime;

/// <summary>`spec [--rootless] [--bundle DIR]`: writes a starter config.json, as `runc spec` does.</summary>
public static class SpecCommand
{
    public static Command Build()
    {
        var rootless = new Option<bool>("--rootless") { Description = "a spec for an unprivileged user (user namespace)" };
        var bundle = new Option<string>("--bundle", "-b") { Description = "where to write config.json", DefaultValueFactory = _ => "." };
        var c = new Command("spec", "create a new specification file") { rootless, bundle };
        c.SetAction(p => RuntimeCli.Guard(p, _ =>
        {
            string path = Path.Combine(p.GetValue(bundle)!, "config.json");
            if (File.Exists(path)) throw new RuntimeException($"File {path} exists. Remove it first");
            var spec = DefaultSpec.Create(p.GetValue(rootless));
            File.WriteAllBytes(path, OciJson.Serialize(spec, OciJsonContext.Default.Spec));
            return 0;
        }));
        return c;
    }
}
