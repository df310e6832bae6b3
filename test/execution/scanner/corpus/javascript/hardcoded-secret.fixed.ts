const apiKey = process.env.API_KEY ?? '';
export const config = { password: process.env.DB_PASSWORD, region: 'eu-west-1', passwordField: 'password' };
export default apiKey;
