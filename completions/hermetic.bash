# bash completion for hermetic(1): flags, profiles (built-in names and
# *.json policy files), directories and policy files for the flags that
# take them, the `doctor` and `suggest` subcommands, and commands after `--`.
# Installed as share/bash-completion/completions/hermetic. The flag list
# follows `hermetic --help`; tests/py/test_man_completion.py compares them.

_hermetic_flags="--no-network --allow-localhost --allow-domain
--no-subprocess --fs-readonly --allow-write --allow-read --no-private-tmp
--block-native --no-environment
--no-env --no-code-exec --no-interpreter-mutation --deny-import --profile
--policy --print-policy --trace --audit --seal --version --help"
_hermetic_profiles="block-all net-hermetic exec-deny fs-readonly block-native"

_hermetic()
{
	local cur prev i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	# After the first "--": the command, then whatever it takes (files).
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == -- ]]; then
			if ((COMP_CWORD == i + 1)); then
				mapfile -t COMPREPLY < <(compgen -c -- "$cur")
			else
				mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			fi
			return 0
		fi
	done

	case $prev in
	--profile)
		mapfile -t COMPREPLY < <(compgen -W "$_hermetic_profiles" -- "$cur"
			compgen -f -X '!*.json' -- "$cur"
			compgen -d -S / -- "$cur")
		return 0
		;;
	--policy)
		mapfile -t COMPREPLY < <(compgen -f -X '!*.json' -- "$cur"
			compgen -d -S / -- "$cur")
		return 0
		;;
	--allow-write)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return 0
		;;
	--allow-read)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	--allow-domain | --deny-import)
		return 0
		;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$_hermetic_flags --" -- "$cur")
	elif ((COMP_CWORD == 1)); then
		mapfile -t COMPREPLY < <(compgen -W "doctor suggest" -- "$cur")
	elif ((COMP_CWORD == 2)) && [[ $prev == suggest ]]; then
		mapfile -t COMPREPLY < <(compgen -f -X '!*.json' -- "$cur"
			compgen -d -S / -- "$cur")
	elif [[ $prev == --fs-readonly ]]; then
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
	fi
	return 0
}
complete -F _hermetic hermetic
