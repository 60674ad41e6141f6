# bash completion for tfrec                               -*- shell-script -*-
# Installed by `make install` as $(datadir)/bash-completion/completions/tfrec.
# tests/t0130-install.sh checks that every option of every `--help` is here.

_tfrec()
{
	local cur prev cmd opts
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=${COMP_WORDS[1]}

	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "convert shard inspect verify index manifest duplicates --help --version" -- "$cur"))
		return 0
	fi
	case $cmd in
	convert)
		opts="--output --list --max-pixels --max-file --resize --resize-short
		      --crop --random-crop --flip --copies --seed --normalize --mean
		      --std --layout --channels --dtype --encoded --shards
		      --records-per-shard --shard-size --shuffle --compression --index
		      --part --resume --on-error --no-fsync --jobs --quiet --help
		      --post --post-jobs --no-stats --store --stats-sample"
		# input sources
		opts="$opts --table --path-col --path-template --label-col --label-sep
		      --extra-col --root --multi-hot --image-key --keep --wds-feature
		      --classes --add-classes"
		opts="$opts --background"
		# duplicates
		opts="$opts --dedupe --dedupe-distance --against --fingerprints"
		# detection
		opts="$opts --annotations --annotation-format --images --class-names --masks
		      --segmentation --skip-empty --min-box-visible --box-retries
		      --random-resized-crop --rrc-scale --rrc-ratio"
		case $prev in
		--annotation-format) COMPREPLY=($(compgen -W "coco voc yolo csv" -- "$cur")); return 0 ;;
		--annotations|--class-names) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
		--images|--segmentation) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
		esac
		case $prev in
		--table|--classes) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
		--root) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
		--normalize) COMPREPLY=($(compgen -W "unit imagenet dataset none" -- "$cur")); return 0 ;;
		--layout) COMPREPLY=($(compgen -W "hwc chw" -- "$cur")); return 0 ;;
		--channels) COMPREPLY=($(compgen -W "1 3" -- "$cur")); return 0 ;;
		--dtype) COMPREPLY=($(compgen -W "float16 float32 uint8" -- "$cur")); return 0 ;;
		--compression) COMPREPLY=($(compgen -W "none gzip zlib" -- "$cur")); return 0 ;;
		--dedupe) COMPREPLY=($(compgen -W "exact near" -- "$cur")); return 0 ;;
		--against) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
		--on-error) COMPREPLY=($(compgen -W "fail skip" -- "$cur")); return 0 ;;
		--list|-l) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
		--output|-o) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
		esac
		;;
	shard)
		opts="--output --shards --records-per-shard --shard-size --shuffle --seed
		      --memory --temp-dir --compression --level --index --skip-corrupt
		      --max-record --part --no-fsync --jobs --quiet --help
		      --post --post-jobs"
		case $prev in
		--compression) COMPREPLY=($(compgen -W "none gzip zlib" -- "$cur")); return 0 ;;
		--temp-dir) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
		--output|-o) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
		esac
		;;
	inspect)
		opts="--count --json --dump --limit --export --max-record --stats --help"
		case $prev in
		--export|-e) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
		esac
		;;
	duplicates)
		opts="--distance --exact --split --list --table --json --export --jobs
		      --on-error --max-pixels --help"
		case $prev in
		--export|-e) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
		--on-error) COMPREPLY=($(compgen -W "fail skip" -- "$cur")); return 0 ;;
		--list|-l|--table|-t) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
		esac
		;;
	verify)
		opts="--all --no-examples --quiet --max-record --help"
		;;
	index)
		opts="--output --help"
		;;
	manifest)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "merge --help" -- "$cur"))
			return 0
		fi
		opts="--quiet --no-fsync --help"
		;;
	*)
		return 0
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
	return 0
}
complete -o filenames -F _tfrec tfrec
