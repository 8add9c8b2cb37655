using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.IO;
using OsvPS.Core.Models;

namespace OsvPS.Core.Packaging
{
    /// <summary>
    /// One config set put into a project's meta/run.yaml, planned (checked, nothing written) then applied: added, left
    /// as it is when the same, or replaced only when forced. It becomes the project's default when the project has none.
    /// </summary>
    public sealed class ConfigSetChange
    {
        private ConfigSetChange(string projectPath, ConfigSet set, FileAction action, bool madeDefault, string text)
        {
            ProjectPath = projectPath;
            Set = set;
            Action = action;
            MadeDefault = madeDefault;
            Text = text;
        }

        public string ProjectPath { get; }
        public ConfigSet Set { get; }
        public FileAction Action { get; }
        /// <summary>True when the set becomes <c>config_set_default</c> (the project had none).</summary>
        public bool MadeDefault { get; }
        /// <summary>The run.yaml written.</summary>
        internal string Text { get; }

        /// <summary>Checks <paramref name="set"/> (name, boot command, env) against the project's run.yaml; writes nothing.</summary>
        public static ConfigSetChange Plan(string projectPath, ConfigSet set, bool force)
        {
            RunYaml.ValidateSetName(set.Name, null);
            RunYaml.ValidateEnv(set.Env, $"config set '{set.Name}'", soft: true);
            OsvCommandLine.Check(set.BootCommand ?? "", $"the boot command of config set '{set.Name}'", ErrorIds.BootCommandInvalid);
            string full = Path.GetFullPath(projectPath);
            string runPath = ProjectStore.RunPath(full);
            var existing = UnixFile.Stat(runPath, noFollow: true) != null ? RunYaml.Parse(ProjectStore.ReadText(runPath), runPath) : null;
            var sets = existing?.ConfigSets.ToList() ?? new List<ConfigSet>();
            var defaults = existing?.DefaultConfigSets.ToList() ?? new List<string>();
            int at = sets.FindIndex(s => s.Name == set.Name);
            var action = FileAction.Added;
            if (at >= 0)
            {
                var old = sets[at];
                bool same = old.Base == null && old.Launch == null && old.BootCommand == set.BootCommand && old.Env.Count == set.Env.Count
                    && old.Env.All(p => set.Env.TryGetValue(p.Key, out var v) && v == p.Value);
                if (!same && !force)
                {
                    throw new OsvException(ErrorIds.ConfigSetExists, OsvErrorKind.ResourceExists,
                        $"the project '{full}' already has a config set '{set.Name}' with another boot command ({old.BootCommand ?? old.Launch?.ToString() ?? "base " + old.Base}); use -Force to replace it, or name another with -ConfigSet.", set.Name);
                }
                action = same ? FileAction.Unchanged : FileAction.Replaced;
                sets[at] = set;
            }
            else
            {
                sets.Add(set);
            }
            bool madeDefault = defaults.Count == 0;
            if (madeDefault)
            {
                defaults.Add(set.Name);
            }
            else if (action == FileAction.Unchanged)
            {
                return new ConfigSetChange(full, set, action, false, "");
            }
            var config = new RunConfig(existing?.Runtime ?? "native", sets, defaults);
            return new ConfigSetChange(full, set, madeDefault && action == FileAction.Unchanged ? FileAction.Replaced : action, madeDefault, RunYaml.Serialize(config));
        }

        /// <summary>Writes the project's run.yaml (nothing when unchanged), inside the project, never through a link.</summary>
        public void Apply()
        {
            if (Action == FileAction.Unchanged)
            {
                return;
            }
            ProjectStore.WriteRun(ProjectPath, Text);
        }
    }
}
