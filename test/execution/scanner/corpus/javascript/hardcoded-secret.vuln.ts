const apiKey = 'q9X2-f8Lz7Wm4Rt1Vb6N';
export const config = { password: 'Hunter2!Hunter2!', region: 'eu-west-1' };
export const token = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
export default apiKey;
