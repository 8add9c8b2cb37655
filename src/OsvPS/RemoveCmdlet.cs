using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace OsvPS
{
    /// <summary>
    /// What the Remove cmdlets of named things share: the things come by -Name (wildcards) or from the pipeline
    /// (-InputObject), -Force removes what is in use, -PassThru writes what was removed.
    /// </summary>
    public abstract class RemoveCmdlet<T> : OsvCmdlet
    {
        protected const string NameSet = "Name";
        protected const string ObjectSet = "InputObject";

        /// <summary>Remove what is still in use (each cmdlet says what that means).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Write what was removed to the pipeline.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>The items to remove: those from the pipeline, or those each name matches (<paramref name="match"/>).</summary>
        protected List<T> Targets(IEnumerable<T> inputObject, IEnumerable<string> names, Func<string, IEnumerable<T>> match)
            => ParameterSetName == ObjectSet ? inputObject.ToList() : names.SelectMany(match).ToList();

        /// <summary>After a removal: the item goes to the pipeline with -PassThru.</summary>
        protected void Removed(T item)
        {
            if (PassThru)
            {
                WriteObject(item);
            }
        }
    }
}
