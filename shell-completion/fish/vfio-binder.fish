# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for vfio-binder(8): commands, options, option values, and
# PCI addresses and IOMMU groups from the sysfs tree the command line names
# (--sysfs DIR), else /sys.

# The --sysfs DIR given on the line, else /sys.
function __vfio_binder_sysfs
    set -l tokens (commandline -opc)
    set -l sysfs /sys
    set -l n (count $tokens)
    for i in (seq $n)
        switch $tokens[$i]
            case --sysfs
                if test $i -lt $n
                    set sysfs $tokens[(math $i + 1)]
                end
            case '--sysfs=*'
                set sysfs (string replace -- --sysfs= '' $tokens[$i])
        end
    end
    echo $sysfs
end

# __vfio_binder_ls SUBDIR: the entries of SYSFS/SUBDIR.
function __vfio_binder_ls
    for path in (__vfio_binder_sysfs)/$argv[1]/*
        string replace -r '.*/' '' -- $path
    end
end

set -l commands plan bind list status monitor reserve release doctor
complete -c vfio-binder -f
complete -c vfio-binder -n "not __fish_seen_subcommand_from $commands" -a plan -d 'print what bind would do, and why'
complete -c vfio-binder -n "not __fish_seen_subcommand_from $commands" -a bind -d 'write driver_override, load the driver, probe, verify'
complete -c vfio-binder -n "not __fish_seen_subcommand_from $commands" -a list -d 'every PCI function by IOMMU group'
complete -c vfio-binder -n "not __fish_seen_subcommand_from $commands" -a status -d 'what is bound now against the plan'
complete -c vfio-binder -n "not __fish_seen_subcommand_from $commands" -a monitor -d 'bind, then bind functions that appear later'
complete -c vfio-binder -n "not __fish_seen_subcommand_from $commands" -a reserve -d 'hand a card to vfio-pci now'
complete -c vfio-binder -n "not __fish_seen_subcommand_from $commands" -a release -d 'give a card back to the host'
complete -c vfio-binder -n "not __fish_seen_subcommand_from $commands" -a doctor -d 'check the machine for passthrough'
complete -c vfio-binder -n "__fish_seen_subcommand_from reserve release" -a '(__vfio_binder_ls bus/pci/devices)' -d 'PCI function'

# Options taking a file or a directory (test roots).
complete -c vfio-binder -s c -l config -r -F -d 'configuration file'
complete -c vfio-binder -l cmdline -r -F -d 'kernel command line file'
complete -c vfio-binder -l sysfs -x -a '(__fish_complete_directories)' -d 'sysfs root'
complete -c vfio-binder -l proc -x -a '(__fish_complete_directories)' -d 'procfs root'
complete -c vfio-binder -l dev -x -a '(__fish_complete_directories)' -d '/dev root'
complete -c vfio-binder -l run -x -a '(__fish_complete_directories)' -d 'runtime state root'
complete -c vfio-binder -l etc -x -a '(__fish_complete_directories)' -d '/etc root'
complete -c vfio-binder -l boot -x -a '(__fish_complete_directories)' -d '/boot root'
complete -c vfio-binder -l modules -x -a '(__fish_complete_directories)' -d 'kernel modules root'
# Options taking a value.
complete -c vfio-binder -l group -x -a '(__vfio_binder_ls kernel/iommu_groups)' -d 'list: IOMMU group N only'
complete -c vfio-binder -l device -x -a '(__vfio_binder_ls bus/pci/devices)' -d 'list: this function only'
complete -c vfio-binder -l source -x -a 'kernel udev' -d 'monitor: where uevents come from'
complete -c vfio-binder -l log -x -a 'auto stderr kmsg' -d 'where messages go'
# Flags.
complete -c vfio-binder -l no-cmdline -d 'ignore vfio_binder.* parameters'
complete -c vfio-binder -l json -d 'output as JSON'
complete -c vfio-binder -s n -l dry-run -d 'print the writes, change nothing'
complete -c vfio-binder -l no-load -d 'overrides only, no load or probe'
complete -c vfio-binder -l force -d 'act even where it would refuse'
complete -c vfio-binder -l all -d 'reserve, release: every configured card'
complete -c vfio-binder -l configured -d 'release: only what return_to_host allows'
complete -c vfio-binder -l gpus -d 'list: display functions and their slots only'
complete -c vfio-binder -l numeric -d 'list: IDs only'
complete -c vfio-binder -l modules-list -d 'plan: the modules bind would load'
complete -c vfio-binder -l config-lines -d 'list: device lines pinned to each GPU'
complete -c vfio-binder -s v -l verbose -d 'more messages'
complete -c vfio-binder -s q -l quiet -d 'only warnings and errors'
complete -c vfio-binder -s h -l help -d 'show the help'
complete -c vfio-binder -s V -l version -d 'show the version'
