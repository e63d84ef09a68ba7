using Berth.Engine.Model;
using Berth.Oci;

namespace Berth.Engine.Containers;

/// <summary>The process of an exec or a healthcheck: the container's own process settings (user, capabilities, limits, env) with the caller's changes.</summary>
public static class ExecProcesses
{
    public static Process ForCheck(ContainerEngine engine, Container c, IReadOnlyList<string> args) =>
        Build(engine, c, args, user: null, env: null, workdir: null, tty: false);

    public static Process Build(ContainerEngine engine, Container c, IReadOnlyList<string> args, string? user,
        IReadOnlyList<string>? env, string? workdir, bool tty)
    {
        var spec = OciJson.ParseSpec(File.ReadAllBytes(Path.Combine(engine.Store.RunDirOf(c.Id), "config.json")));
        var p = spec.Process!;
        p.Args = args.ToList();
        p.Terminal = tty;
        p.ConsoleSize = null;
        if (env is { Count: > 0 })
        {
            var merged = new List<string>(p.Env ?? []);
            foreach (var e in env)
            {
                string key = e.Split('=', 2)[0];
                merged.RemoveAll(x => x.Split('=', 2)[0] == key);
                merged.Add(e);
            }
            p.Env = merged;
        }
        if (tty && !(p.Env ?? []).Any(e => e.StartsWith("TERM=", StringComparison.Ordinal))) (p.Env ??= []).Add("TERM=xterm");
        if (workdir is { Length: > 0 }) p.Cwd = workdir;
        if (user is { Length: > 0 })
        {
            var (uid, gid, groups) = UserLookup.Resolve(engine.RootfsOf(c.Id), user, c.HostConfig.GroupAdd);
            p.User = new User { Uid = uid, Gid = gid, AdditionalGids = groups.Count > 0 ? groups : null };
        }
        return p;
    }
}
