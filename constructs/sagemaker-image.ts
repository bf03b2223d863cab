import { Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * Accounts of SageMaker's first-party framework images (XGBoost 1.x, scikit-learn) by region,
 * from the SageMaker Python SDK's image_uri_config (xgboost.json, sklearn.json).
 */
const FRAMEWORK_IMAGE_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '510948584623',
  'ap-east-1': '651117190479',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'ap-northeast-3': '867004704886',
  'ap-south-1': '720646828776',
  'ap-south-2': '628508329040',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-southeast-3': '951798379941',
  'ap-southeast-4': '106583098589',
  'ca-central-1': '341280168497',
  'ca-west-1': '190319476487',
  'cn-north-1': '450853457545',
  'cn-northwest-1': '451049120500',
  'eu-central-1': '492215442770',
  'eu-central-2': '680994064768',
  'eu-north-1': '662702820516',
  'eu-south-1': '978288397137',
  'eu-south-2': '104374241257',
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'il-central-1': '898809789911',
  'me-central-1': '272398656194',
  'me-south-1': '801668240914',
  'sa-east-1': '737474898029',
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-gov-east-1': '237065988967',
  'us-gov-west-1': '414596584902',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
};

/**
 * Accounts of the Model Monitor analyzer image by region, from the SageMaker Python SDK's
 * image_uri_config (model-monitor.json).
 */
const MODEL_MONITOR_IMAGE_ACCOUNTS: Readonly<Record<string, string>> = {
  'ap-east-1': '001633400207',
  'ap-northeast-1': '574779866223',
  'ap-northeast-2': '709848358524',
  'ap-south-1': '126357580389',
  'ap-southeast-1': '245545462676',
  'ap-southeast-2': '563025443158',
  'ca-central-1': '536280801234',
  'cn-north-1': '453000072557',
  'cn-northwest-1': '453252182341',
  'eu-central-1': '048819808253',
  'eu-north-1': '895015795356',
  'eu-west-1': '468650794304',
  'eu-west-2': '749857270468',
  'eu-west-3': '680080141114',
  'me-south-1': '607024016150',
  'sa-east-1': '539772159869',
  'us-east-1': '156813124566',
  'us-east-2': '777275614652',
  'us-west-1': '890145073186',
  'us-west-2': '159807026194',
};

/**
 * Accounts of the SageMaker Clarify processing image by region, from the SageMaker Python SDK's
 * image_uri_config (clarify.json, version 1.0).
 */
const CLARIFY_IMAGE_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '811711786498',
  'ap-east-1': '098760798382',
  'ap-northeast-1': '377024640650',
  'ap-northeast-2': '263625296855',
  'ap-northeast-3': '364406365360',
  'ap-south-1': '452307495513',
  'ap-southeast-1': '834264404009',
  'ap-southeast-2': '007051062584',
  'ca-central-1': '675030665977',
  'cn-north-1': '122526803553',
  'cn-northwest-1': '122578899357',
  'eu-central-1': '017069133835',
  'eu-north-1': '763603941244',
  'eu-south-1': '638885417683',
  'eu-west-1': '131013547314',
  'eu-west-2': '440796970383',
  'eu-west-3': '341593696636',
  'me-south-1': '835444307964',
  'sa-east-1': '520018980103',
  'us-east-1': '205585389593',
  'us-east-2': '211330385671',
  'us-west-1': '740489534195',
  'us-west-2': '306415355426',
};

/** The region tables of AWS's own images by repository; framework images share one. */
const IMAGE_ACCOUNTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'sagemaker-model-monitor-analyzer': MODEL_MONITOR_IMAGE_ACCOUNTS,
  'sagemaker-clarify-processing': CLARIFY_IMAGE_ACCOUNTS,
};

/**
 * The repository of one of AWS's own SageMaker images (framework, Model Monitor or Clarify) that
 * `imageUri` names, with the account checked against the image's account in that region;
 * undefined for any other image, such as a repository of the same name in another account.
 */
export function awsImageRepository(imageUri: string): string | undefined {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(imageUri);
  if (!match) return undefined;
  const [, account, region, repository] = match;
  const accounts = IMAGE_ACCOUNTS[repository] ?? FRAMEWORK_IMAGE_ACCOUNTS;
  return accounts[region] === account ? repository : undefined;
}

/** A container image a SageMaker job or model runs, bound to the role that pulls it. */
export abstract class SageMakerImage {
  /** The SageMaker XGBoost image: the built-in algorithm for training, and a framework image with xgboost for processing. */
  public static xgboost(version = '1.7-1'): SageMakerImage {
    return new FrameworkImage('sagemaker-xgboost', version);
  }

  /** The SageMaker scikit-learn framework image (pandas, scikit-learn) for processing. */
  public static scikitLearn(version = '1.2-1'): SageMakerImage {
    return new FrameworkImage('sagemaker-scikit-learn', `${version}-cpu-py3`);
  }

  /** The Model Monitor analyzer: computes data-quality baselines and checks captured data against them. */
  public static modelMonitorAnalyzer(): SageMakerImage {
    return new FrameworkImage('sagemaker-model-monitor-analyzer', 'latest', MODEL_MONITOR_IMAGE_ACCOUNTS);
  }

  /** The SageMaker Clarify processing image: bias metrics and explanations. */
  public static clarify(): SageMakerImage {
    return new FrameworkImage('sagemaker-clarify-processing', '1.0', CLARIFY_IMAGE_ACCOUNTS);
  }

  /** An image by URI, such as `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/train:1.4`. */
  public static fromRegistry(imageUri: string): SageMakerImage {
    return new (class extends SageMakerImage {
      public bind(): string {
        return imageUri;
      }
    })();
  }

  /** An image in an ECR repository; the role is granted pulling it. */
  public static fromEcrRepository(repository: ecr.IRepository, tag = 'latest'): SageMakerImage {
    return new (class extends SageMakerImage {
      public bind(_scope: Construct, grantee: iam.IGrantable): string {
        repository.grantPull(grantee);
        return repository.repositoryUriForTag(tag);
      }
    })();
  }

  /** An image built from a local directory with a Dockerfile at deploy time (synth needs no Docker). */
  public static fromAsset(directory: string, props: Omit<ecrAssets.DockerImageAssetProps, 'directory'> = {}): SageMakerImage {
    return new (class extends SageMakerImage {
      private asset?: ecrAssets.DockerImageAsset;
      public bind(scope: Construct, grantee: iam.IGrantable): string {
        this.asset ??= new ecrAssets.DockerImageAsset(scope, 'ImageAsset', { directory, ...props });
        this.asset.repository.grantPull(grantee);
        return this.asset.imageUri;
      }
    })();
  }

  /** The image URI for `scope`'s region; grants `grantee` whatever pulling it needs. */
  public abstract bind(scope: Construct, grantee: iam.IGrantable): string;
}

class FrameworkImage extends SageMakerImage {
  constructor(
    private readonly repository: string,
    private readonly tag: string,
    private readonly accounts: Readonly<Record<string, string>> = FRAMEWORK_IMAGE_ACCOUNTS,
  ) {
    super();
  }

  /** SageMaker pulls its own images: no grant is needed. */
  public bind(scope: Construct): string {
    const stack = Stack.of(scope);
    const region = stack.region;
    if (Token.isUnresolved(region)) {
      throw new Error(
        `${this.repository}:${this.tag} is published per region: give the stack an explicit region (env: { region }) so the image URI can be chosen at synth`,
      );
    }
    const account = this.accounts[region];
    if (!account) {
      throw new Error(
        `SageMaker does not publish ${this.repository} in region ${region}: supported regions are ${Object.keys(this.accounts).join(', ')}; or pass your own image with SageMakerImage.fromRegistry(...)`,
      );
    }
    return `${account}.dkr.ecr.${region}.${stack.urlSuffix}/${this.repository}:${this.tag}`;
  }
}
