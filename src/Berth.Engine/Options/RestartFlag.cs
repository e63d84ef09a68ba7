using Berth.Engine.Model;

namespace Berth.Engine.Options;

/// <summary>
/// --restart no|always|unless-stopped|on-failure[:MAX-RETRIES]: the docker CLI's reading, then the
/// daemon's check (a count only with on-failure, never negative), with their messages. "" is the
/// API's unset policy and stays "".
/// </summary>
public static class RestartFlag
{
    public static RestartPolicy Parse(string value)
    {
        if (value.Length == 0) return new RestartPolicy { Name = "" };
        int colon = value.IndexOf(':');
        string name = colon < 0 ? value : value[..colon];
        string count = colon < 0 ? "" : value[(colon + 1)..];
        if (colon == 0) throw new FormatException("invalid restart policy format: no policy provided before colon");
        int retries = 0;
        if (count.Length > 0 && !GoText.TryAtoi(count, out retries))
            throw new FormatException("invalid restart policy format: maximum retry count must be an integer");

        switch (name)
        {
            case "no" or "always" or "unless-stopped":
                if (retries != 0)
                {
                    throw new FormatException("invalid restart policy: maximum retry count can only be used with 'on-failure'"
                        + (retries < 0 ? " and cannot be negative" : ""));
                }
                break;
            case "on-failure":
                if (retries < 0) throw new FormatException("invalid restart policy: maximum retry count cannot be negative");
                break;
            default:
                throw new FormatException($"invalid restart policy: unknown policy '{name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
        }
        return new RestartPolicy { Name = name, MaximumRetryCount = retries };
    }
}
